// EngineVolumes through dockerode, for engines not on a local socket (DOCKER_HOST tcp://, ssh://, TLS).
import Docker from "dockerode";
import type { EngineVolumes } from "./engine-volumes";

export function dockerodeVolumes(): EngineVolumes {
  const docker = new Docker();
  return {
    reachable: () => docker.ping().then(
      () => true,
      () => false,
    ),
    async status(name) {
      try {
        return ((await docker.getVolume(name).inspect()).Status as Record<string, unknown> | undefined) ?? {};
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async names(part) {
      const { Volumes } = await docker.listVolumes({ filters: { name: [part] } });
      return (Volumes ?? []).map((v) => v.Name);
    },
  };
}
