/** The disk driver's settings, from its environment; each names its variable when it is wrong. */
export interface DriverSettings {
  /** The driver's name: volumes say `driver: <name>`, and its socket is <pluginDir>/<name>.sock. */
  name: string;
  /** Where the disk images, their mount points and the volume records live. */
  root: string;
  pluginDir: string;
  dockerSocket: string;
}

export function driverSettings(env: NodeJS.ProcessEnv): DriverSettings {
  const name = env.DORMER_DISK_DRIVER ?? "dormer-disk";
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`DORMER_DISK_DRIVER: must be lowercase letters, digits, "." "_" "-", got ${name}`);
  const root = env.DORMER_DISK_ROOT ?? "/var/lib/dormer/disks";
  if (!root.startsWith("/")) throw new Error(`DORMER_DISK_ROOT: must be an absolute path, got ${root}`);
  return {
    name,
    root,
    pluginDir: env.DORMER_PLUGIN_DIR ?? "/run/docker/plugins",
    dockerSocket: env.DOCKER_SOCKET ?? "/var/run/docker.sock",
  };
}
