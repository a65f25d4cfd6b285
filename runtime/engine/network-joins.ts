import Docker from "dockerode";

/** The HTTP status of a Docker API error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/**
 * The tenant networks the supervisor's own container has joined, each under its name with the id it joined:
 * a replaced network keeps the name but not the id, and is joined anew. The supervisor joins a tenant's
 * network only while it needs to reach that tenant. Without a container of its own (it runs on the host)
 * there is nothing to join.
 */
export class NetworkJoins {
  private readonly joined = new Map<string, string>();

  constructor(
    private readonly docker: Docker,
    private readonly self?: string,
  ) {}

  /** Joins the network `id` known as `network`, leaving a previous one of that name first. True when this call joined it. */
  async join(network: string, id: string): Promise<boolean> {
    if (!this.self || this.joined.get(network) === id) return false;
    if (this.joined.has(network)) await this.leave(network);
    try {
      await this.docker.getNetwork(id).connect({ Container: this.self });
    } catch (err) {
      // 403 "already exists in network" is what a second supervisor, or a restarted one, sees.
      if (statusOf(err) !== 403 && !/already exists/.test(String(err))) throw err;
    }
    this.joined.set(network, id);
    return true;
  }

  /** Leaves the network joined under this name (by id: its successor may already carry the name). */
  async leave(network: string): Promise<void> {
    if (!this.self) return;
    const id = this.joined.get(network) ?? network;
    this.joined.delete(network);
    try {
      await this.docker.getNetwork(id).disconnect({ Container: this.self, Force: true });
    } catch {
      // Not connected, or the network is already gone: nothing to leave.
    }
  }
}
