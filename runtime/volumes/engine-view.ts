// What the driver asks the Docker daemon while it mounts: the declared size (a label on the container that
// mounts the volume, so changing it never replaces the volume), whether a container still holds the disk,
// and where a plain local volume being migrated keeps its files. Never the mounting container itself: the
// daemon holds that container's lock while it waits for the mount, so inspecting it would wait out the mount.
import Docker from "dockerode";
import { LABEL } from "../engine/labels";

export interface MountRequest {
  /** The largest disk size any container mounting the volume declares; undefined when none does. */
  sizeMb?: number;
}

export interface EngineView {
  mountRequest(volume: string): Promise<MountRequest>;
  /** Whether a running or paused container has any of these volumes mounted. */
  inUse(volumes: string[]): Promise<boolean>;
  /** The host directory of a plain `local` volume, or undefined when there is none by that name. */
  localVolumePath(name: string): Promise<string | undefined>;
}

const API_TIMEOUT_MS = 2000;

export class DockerView implements EngineView {
  private readonly docker: Docker;

  constructor(socketPath: string) {
    // Short: after a restart the daemon mounts volumes for its restarting containers before it serves its
    // API, so a mount must never wait on the API for long (it waited 180 s here).
    this.docker = new Docker({ socketPath, timeout: API_TIMEOUT_MS });
  }

  async mountRequest(volume: string): Promise<MountRequest> {
    const containers = await this.docker.listContainers({ all: true, filters: { volume: [volume] } });
    const sizes = containers.map((c) => Number(c.Labels[LABEL.diskMb])).filter((n) => Number.isInteger(n) && n > 0);
    return sizes.length ? { sizeMb: Math.max(...sizes) } : {};
  }

  async inUse(volumes: string[]): Promise<boolean> {
    const up = await this.docker.listContainers({ filters: { volume: volumes, status: ["running", "paused", "restarting"] } });
    return up.length > 0;
  }

  async localVolumePath(name: string): Promise<string | undefined> {
    try {
      const info = await this.docker.getVolume(name).inspect();
      return info.Driver === "local" ? info.Mountpoint : undefined;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }
}
