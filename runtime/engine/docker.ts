import Docker from "dockerode";
import { LABEL } from "../labels";
import { log } from "../log";
import { tenantFromLabels } from "./declared";
import { DeclaredTenant, Engine, EngineEvent, RunState, TenantStats } from "./engine";
import { demux } from "./docker-logs";

const STOP_GRACE_SECONDS = 10;

/** The Docker engine, through its API on the local socket. */
export class DockerEngine implements Engine {
  private readonly docker: Docker;
  private readonly joined = new Set<string>();

  /**
   * @param self the supervisor's own container when it runs in one: it joins a tenant's network only while
   *   it needs to reach that tenant, so no network is shared between tenants and the program never has to
   *   touch the supervisor when tenants change. Unset when the supervisor runs on the host, which reaches
   *   every bridge network directly.
   */
  constructor(
    private readonly stack: string,
    socketPath: string,
    private readonly self?: string,
  ) {
    this.docker = new Docker({ socketPath });
  }

  private filters(extra: string[] = []) {
    return { label: [`${LABEL.stack}=${this.stack}`, `${LABEL.role}=tenant`, ...extra] };
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  async discover(): Promise<DeclaredTenant[]> {
    const containers = await this.docker.listContainers({ all: true, filters: this.filters() });
    return containers.flatMap((c) => {
      const tenant = tenantFromLabels(c.Names[0] ?? "", c.Labels);
      return tenant ? [tenant] : [];
    });
  }

  async running(): Promise<Set<string>> {
    const containers = await this.docker.listContainers({ filters: this.filters() });
    return new Set(containers.map((c) => c.Labels[LABEL.tenant]).filter((id): id is string => Boolean(id)));
  }

  async state(tenant: DeclaredTenant): Promise<RunState | undefined> {
    try {
      const info = await this.docker.getContainer(tenant.container).inspect();
      return { running: info.State.Running, startedAt: info.State.StartedAt };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async start(tenant: DeclaredTenant): Promise<void> {
    try {
      await this.docker.getContainer(tenant.container).start();
    } catch (err) {
      if (statusOf(err) !== 304) throw err; // 304: already running
    }
  }

  async stop(tenant: DeclaredTenant, graceSeconds = STOP_GRACE_SECONDS): Promise<void> {
    try {
      await this.docker.getContainer(tenant.container).stop({ t: graceSeconds });
    } catch (err) {
      if (statusOf(err) !== 304) throw err; // 304: already stopped
    }
    await this.leave(tenant.network);
  }

  async address(tenant: DeclaredTenant): Promise<string> {
    await this.join(tenant.network);
    const info = await this.docker.getContainer(tenant.container).inspect();
    const ip = info.NetworkSettings.Networks[tenant.network]?.IPAddress;
    if (!ip) throw new Error(`tenant ${tenant.id} has no address on ${tenant.network}`);
    return `${ip}:${tenant.port}`;
  }

  async logs(tenant: DeclaredTenant, lines: number): Promise<string[]> {
    const raw = await this.docker.getContainer(tenant.container).logs({ stdout: true, stderr: true, tail: lines, timestamps: true });
    return demux(raw).split("\n").filter(Boolean);
  }

  async stats(tenant: DeclaredTenant): Promise<TenantStats> {
    const s = await this.docker.getContainer(tenant.container).stats({ stream: false });
    const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
    const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
    const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
    return {
      cpuPercent: systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0,
      memoryBytes: s.memory_stats.usage ?? 0,
      memoryLimitBytes: s.memory_stats.limit ?? 0,
    };
  }

  watch(onEvent: (event: EngineEvent) => void): () => void {
    let stopped = false;
    let stream: NodeJS.ReadableStream | undefined;
    const connect = async (): Promise<void> => {
      try {
        stream = (await this.docker.getEvents({
          filters: { type: ["container"], label: [`${LABEL.stack}=${this.stack}`, `${LABEL.role}=tenant`] },
        })) as NodeJS.ReadableStream;
      } catch (err) {
        log.warn("docker events unavailable; retrying", { error: String(err) });
        if (!stopped) setTimeout(connect, 2000).unref();
        return;
      }
      let buffer = "";
      stream.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.trim()) this.onDockerEvent(JSON.parse(line) as DockerEvent, onEvent);
        }
      });
      stream.on("end", () => {
        if (!stopped) setTimeout(connect, 1000).unref();
      });
      stream.on("error", () => undefined);
    };
    void connect();
    return () => {
      stopped = true;
      (stream as unknown as { destroy?: () => void })?.destroy?.();
    };
  }

  private onDockerEvent(event: DockerEvent, onEvent: (event: EngineEvent) => void): void {
    const tenant = event.Actor?.Attributes?.[LABEL.tenant];
    const network = event.Actor?.Attributes?.[LABEL.network];
    if (event.Action === "create" || event.Action === "destroy") onEvent({ kind: "declared-changed" });
    if ((event.Action === "die" || event.Action === "destroy") && tenant) {
      onEvent({ kind: "stopped", tenant });
      // Leave as soon as the tenant stops: a network with only the supervisor on it cannot be deleted, and
      // the program deletes a removed tenant's network right after its container.
      if (network) void this.leave(network);
    }
  }

  private async join(network: string): Promise<void> {
    if (!this.self || this.joined.has(network)) return;
    try {
      await this.docker.getNetwork(network).connect({ Container: this.self });
    } catch (err) {
      // 403 "already exists in network" is what a second supervisor, or a restarted one, sees.
      if (statusOf(err) !== 403 && !/already exists/.test(String(err))) throw err;
    }
    this.joined.add(network);
  }

  private async leave(network: string): Promise<void> {
    if (!this.self) return;
    this.joined.delete(network);
    try {
      await this.docker.getNetwork(network).disconnect({ Container: this.self, Force: true });
    } catch {
      // Not connected, or the network is already gone: nothing to leave.
    }
  }
}

interface DockerEvent {
  Action: string;
  Actor?: { Attributes?: Record<string, string> };
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}
