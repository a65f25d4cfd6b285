import Docker from "dockerode";
import { LABEL } from "./labels";
import { tenantFromLabels } from "./declared";
import { DeclaredTenant, Engine, EngineEvent, RunState, TenantDisk, TenantStats, UpState } from "./engine";
import { demux } from "./docker-logs";
import { containerStats, tenantDisk } from "./node-readings";
import { followEvents } from "./event-stream";
import { NetworkJoins, statusOf } from "./network-joins";
import { TenantGoneError } from "../errors";

const STOP_GRACE_SECONDS = 10;

/** The Docker engine, through its API on the local socket. */
export class DockerEngine implements Engine {
  private readonly docker: Docker;
  /** The tenant networks this supervisor's container joined. */
  private readonly joins: NetworkJoins;

  /**
   * @param self the supervisor's own container when it runs in one: it joins a tenant's network only while
   *   it needs to reach that tenant, so no network is shared between tenants and the program never has to
   *   touch the supervisor when tenants change. Unset when the supervisor runs on the host, which reaches
   *   every bridge network directly.
   */
  constructor(
    private readonly stack: string,
    socketPath: string,
    self?: string,
  ) {
    this.docker = new Docker({ socketPath });
    this.joins = new NetworkJoins(this.docker, self);
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

  async running(): Promise<Map<string, UpState>> {
    // Without `all`, Docker lists running and paused containers alike; State tells them apart.
    const containers = await this.docker.listContainers({ filters: this.filters() });
    const up = new Map<string, UpState>();
    for (const c of containers) {
      const id = c.Labels[LABEL.tenant];
      if (id) up.set(id, c.State === "paused" ? "paused" : "running");
    }
    return up;
  }

  async state(tenant: DeclaredTenant): Promise<RunState | undefined> {
    try {
      const info = await this.docker.getContainer(tenant.container).inspect();
      return { running: info.State.Running, paused: info.State.Paused, startedAt: info.State.StartedAt };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async start(tenant: DeclaredTenant): Promise<void> {
    const container = this.docker.getContainer(tenant.container);
    try {
      if (tenant.pidsLimit !== undefined) {
        // Upstream's docker provider cannot declare a PID limit, so the declared label is applied here, before
        // the process exists; Docker keeps it, so a start by the restart policy keeps the limit too.
        const info = await container.inspect();
        if (info.HostConfig.PidsLimit !== tenant.pidsLimit) await container.update({ PidsLimit: tenant.pidsLimit });
      }
      await container.start();
    } catch (err) {
      if (statusOf(err) === 304) return; // already running
      // `dormer up` removing it to create its replacement: the caller holds its requests for the new one.
      if (statusOf(err) === 404 || /marked for removal|removal .*in progress/.test(String(err))) throw new TenantGoneError(tenant.id);
      throw err;
    }
  }

  async pause(tenant: DeclaredTenant): Promise<void> {
    try {
      await this.docker.getContainer(tenant.container).pause();
    } catch (err) {
      if (!/already paused/.test(String(err))) throw err;
    }
  }

  async unpause(tenant: DeclaredTenant): Promise<void> {
    try {
      await this.docker.getContainer(tenant.container).unpause();
    } catch (err) {
      if (!/is not paused/.test(String(err))) throw err;
    }
  }

  async stop(tenant: DeclaredTenant, graceSeconds = STOP_GRACE_SECONDS): Promise<void> {
    // A frozen app cannot handle SIGTERM: Docker would wait out the grace and kill it.
    await this.unpause(tenant).catch((err) => {
      if (statusOf(err) !== 404 && !/is not running/.test(String(err))) throw err;
    });
    try {
      await this.docker.getContainer(tenant.container).stop({ t: graceSeconds });
    } catch (err) {
      if (statusOf(err) !== 304) throw err; // 304: already stopped
    }
    await this.joins.leave(tenant.network);
  }

  async restart(tenant: DeclaredTenant, graceSeconds: number): Promise<void> {
    await this.docker.getContainer(tenant.container).restart({ t: graceSeconds });
  }

  async address(tenant: DeclaredTenant): Promise<string> {
    const container = this.docker.getContainer(tenant.container);
    const info = await container.inspect();
    const on = info.NetworkSettings.Networks[tenant.network];
    if (!info.State.Running || !on?.IPAddress) throw new Error(`tenant ${tenant.id} has no address on ${tenant.network}: not running`);
    if (await this.joins.join(tenant.network, on.NetworkID)) {
      // Joined after a look at the container: if it was removed meanwhile, its removal's event may already
      // have made us leave, and staying would keep `dormer up` from deleting the network. Look again.
      const now = await this.docker.getContainer(info.Id).inspect().catch(() => undefined);
      if (!now?.State.Running || now.NetworkSettings.Networks[tenant.network]?.NetworkID !== on.NetworkID) {
        await this.joins.leave(tenant.network);
        throw new Error(`tenant ${tenant.id} left ${tenant.network} while the supervisor joined it`);
      }
    }
    return `${on.IPAddress}:${tenant.port}`;
  }

  async logs(tenant: DeclaredTenant, lines: number): Promise<string[]> {
    const raw = await this.docker.getContainer(tenant.container).logs({ stdout: true, stderr: true, tail: lines, timestamps: true });
    return demux(raw).split("\n").filter(Boolean);
  }

  async stats(tenant: DeclaredTenant): Promise<TenantStats> {
    return containerStats(this.docker, tenant.container);
  }

  async disk(tenant: DeclaredTenant): Promise<TenantDisk | undefined> {
    return tenantDisk(this.docker, tenant);
  }

  watch(onEvent: (event: EngineEvent) => void): () => void {
    const filters = { type: ["container"], label: [`${LABEL.stack}=${this.stack}`, `${LABEL.role}=tenant`] };
    return followEvents<DockerEvent>(this.docker, filters, "docker", (event) => this.onDockerEvent(event, onEvent), onEvent);
  }

  private onDockerEvent(event: DockerEvent, onEvent: (event: EngineEvent) => void): void {
    const tenant = event.Actor?.Attributes?.[LABEL.tenant];
    const network = event.Actor?.Attributes?.[LABEL.network];
    if (event.Action === "create" || event.Action === "destroy") onEvent({ kind: "declared-changed" });
    if ((event.Action === "start" || event.Action === "unpause") && tenant) onEvent({ kind: "running", tenant });
    // Another supervisor's reaper froze it: whatever this one knew as awake must be asked again.
    if (event.Action === "pause" && tenant) onEvent({ kind: "paused", tenant });
    if ((event.Action === "die" || event.Action === "destroy") && tenant) {
      onEvent({ kind: "stopped", tenant });
      if (event.Action === "destroy") onEvent({ kind: "removed", tenant });
      // Leave as soon as the tenant stops: a network with only the supervisor on it cannot be deleted, and
      // the program deletes a removed tenant's network right after its container.
      if (network) void this.joins.leave(network);
    }
  }
}

interface DockerEvent {
  Action: string;
  Actor?: { Attributes?: Record<string, string> };
}
