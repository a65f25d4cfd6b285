import Docker from "dockerode";
import { TaskNotStartedError, TenantGoneError, WakeTimeoutError } from "../errors";
import { log } from "../observe/log";
import { tenantFromLabels } from "./declared";
import { demux } from "./docker-logs";
import { DeclaredTenant, Engine, EngineEvent, RunState, TenantDisk, TenantStats, UpState } from "./engine";
import { LABEL } from "./labels";
import { containerStats, tenantDisk } from "./node-readings";
import { followEvents } from "./event-stream";
import { NetworkJoins, statusOf } from "./network-joins";

const STOP_GRACE_SECONDS = 10;
/** How often a wait asks the swarm again: its scheduler reports task states, it does not push them to us. */
const POLL_MS = 50;
/** A task the swarm has given up on: no point waiting for it to run. */
const ENDED = new Set(["failed", "rejected", "orphaned", "complete", "shutdown", "remove"]);

type Task = {
  ID: string;
  ServiceID: string;
  DesiredState: string;
  Status: { State: string; Timestamp: string; Err?: string; Message?: string; ContainerStatus?: { ContainerID?: string } };
  NetworksAttachments?: { Network: { ID: string; Spec: { Name: string } }; Addresses?: string[] }[];
};

type ServiceInfo = { ID: string; Version: { Index: number }; Spec: Docker.ServiceSpec & { Mode?: { Replicated?: { Replicas?: number } } } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Docker Swarm: each tenant a service the program declared with 0 replicas. Awake is one replica whose task runs
 * (with a health check, the swarm calls a task running once it is healthy); asleep is 0 replicas. The engine
 * talked to is a manager's; logs come through the swarm, stats and disks from the engine at the socket, so they
 * are read for tasks on that node.
 */
export class SwarmEngine implements Engine {
  private readonly docker: Docker;
  /** The tenant networks this supervisor's container joined. */
  private readonly joins: NetworkJoins;
  /** Service name → tenant id, for events, which name a service but carry none of its labels. */
  private readonly tenantOfService = new Map<string, string>();

  /**
   * @param self the supervisor's own container on this node, when it runs in one: it joins a tenant's overlay
   *   (attachable) only while it needs to reach that tenant, as on docker.
   */
  constructor(
    private readonly stack: string,
    socketPath: string,
    self?: string,
  ) {
    this.docker = new Docker({ socketPath });
    this.joins = new NetworkJoins(this.docker, self);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.docker.info()).Swarm?.ControlAvailable === true;
    } catch {
      return false;
    }
  }

  private async services(): Promise<ServiceInfo[]> {
    return (await this.docker.listServices({ filters: { label: [`${LABEL.stack}=${this.stack}`, `${LABEL.role}=tenant`] } })) as ServiceInfo[];
  }

  async discover(): Promise<DeclaredTenant[]> {
    return (await this.services()).flatMap((s) => {
      const tenant = tenantFromLabels(s.Spec.Name ?? "", s.Spec.Labels ?? {});
      if (tenant) this.tenantOfService.set(tenant.container, tenant.id);
      return tenant ? [tenant] : [];
    });
  }

  private async tasks(service: string): Promise<Task[]> {
    return (await this.docker.listTasks({ filters: { service: [service] } })) as Task[];
  }

  private async service(tenant: DeclaredTenant): Promise<ServiceInfo> {
    try {
      return (await this.docker.getService(tenant.container).inspect()) as ServiceInfo;
    } catch (err) {
      if (statusOf(err) === 404) throw new TenantGoneError(tenant.id);
      throw err;
    }
  }

  async running(): Promise<Map<string, UpState>> {
    const services = await this.services();
    const tasks = (await this.docker.listTasks({ filters: { "desired-state": ["running"] } })) as Task[];
    const runningIn = new Set(tasks.filter((t) => t.Status.State === "running").map((t) => t.ServiceID));
    const up = new Map<string, UpState>();
    for (const s of services) {
      const id = s.Spec.Labels?.[LABEL.tenant];
      if (id && runningIn.has(s.ID)) up.set(id, "running");
    }
    return up;
  }

  async state(tenant: DeclaredTenant): Promise<RunState | undefined> {
    try {
      await this.docker.getService(tenant.container).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
    const task = runningTask(await this.tasks(tenant.container));
    // The swarm cannot freeze a task (no light sleep here), so a tenant is never paused.
    return { running: task !== undefined, paused: false, startedAt: task?.Status.Timestamp ?? "" };
  }

  /**
   * Sets the replica count, trying again when the swarm moved the service's version between our look and our
   * write ("update out of sequence": its own update status, another supervisor, `dormer up`).
   */
  private async scale(tenant: DeclaredTenant, replicas: number, pidsLimit?: number): Promise<void> {
    for (;;) {
      const info = await this.service(tenant);
      const task = info.Spec.TaskTemplate as Docker.TaskSpec & { Resources?: { Limits?: { Pids?: number } } };
      const limits = task.Resources?.Limits ?? {};
      const pidsChanged = pidsLimit !== undefined && limits.Pids !== pidsLimit;
      if (info.Spec.Mode?.Replicated?.Replicas === replicas && !pidsChanged) return;
      const spec = {
        ...info.Spec,
        // Upstream's docker provider cannot declare a PID limit: the declared label is applied with the scale,
        // before the task exists, as docker.ts applies it before a start.
        TaskTemplate: pidsChanged ? { ...task, Resources: { ...task.Resources, Limits: { ...limits, Pids: pidsLimit } } } : task,
        Mode: { Replicated: { Replicas: replicas } },
      };
      try {
        await this.docker.getService(info.ID).update({ version: info.Version.Index, ...spec });
        return;
      } catch (err) {
        if (statusOf(err) === 404) throw new TenantGoneError(tenant.id);
        if (!/out of sequence/.test(String(err))) throw err;
      }
    }
  }

  /**
   * One replica, and back when its task runs. A task the swarm gives up on (no node fits, the image is missing)
   * or one still not running after the tenant's wake timeout fails the start, and the service goes back to 0:
   * a replica left asking would start on its own whenever the swarm found room.
   */
  async start(tenant: DeclaredTenant): Promise<void> {
    await this.scale(tenant, 1, tenant.pidsLimit);
    const deadline = Date.now() + tenant.wakeTimeoutSeconds * 1000;
    try {
      for (;;) {
        const tasks = (await this.tasks(tenant.container)).filter((t) => t.DesiredState === "running");
        if (runningTask(tasks)) return;
        const stuck = tasks.find((t) => ENDED.has(t.Status.State) || (t.Status.State === "pending" && t.Status.Err));
        if (stuck) throw new TaskNotStartedError(tenant.id, stuck.Status.Err ?? stuck.Status.Message ?? stuck.Status.State);
        if (Date.now() >= deadline) throw new WakeTimeoutError(tenant.id, tenant.wakeTimeoutSeconds);
        await sleep(POLL_MS);
      }
    } catch (err) {
      await this.scale(tenant, 0).catch((e) => log.error("could not scale a tenant that did not start back to 0", { tenant: tenant.id, error: String(e) }));
      throw err;
    }
  }

  /**
   * 0 replicas, and back once no task container of it runs. The swarm gives the app the service's own stop grace
   * (its stopGracePeriod, 10 s unless declared); graceSeconds only bounds how long this waits for it.
   */
  async stop(tenant: DeclaredTenant, graceSeconds = STOP_GRACE_SECONDS): Promise<void> {
    try {
      await this.scale(tenant, 0);
    } catch (err) {
      if (err instanceof TenantGoneError) return;
      throw err;
    }
    const deadline = Date.now() + (graceSeconds + STOP_GRACE_SECONDS) * 1000;
    while (runningTask(await this.tasks(tenant.container)) && Date.now() < deadline) await sleep(POLL_MS);
    await this.joins.leave(tenant.network);
  }

  async pause(tenant: DeclaredTenant): Promise<void> {
    throw new Error(`tenant ${tenant.id}: light sleep is not available on swarm (the swarm cannot freeze a task); declare no lightSleepAfterMinutes on a swarm stack`);
  }

  async unpause(): Promise<void> {
    // Nothing is ever paused on swarm (see pause): there is nothing to thaw.
  }

  /** A new task for the same spec (the swarm's force update), and back when it runs. */
  async restart(tenant: DeclaredTenant, graceSeconds: number): Promise<void> {
    const before = runningTask(await this.tasks(tenant.container))?.ID;
    for (;;) {
      const info = await this.service(tenant);
      const task = info.Spec.TaskTemplate as Docker.TaskSpec & { ForceUpdate?: number };
      try {
        await this.docker.getService(info.ID).update({ version: info.Version.Index, ...info.Spec, TaskTemplate: { ...task, ForceUpdate: (task.ForceUpdate ?? 0) + 1 } });
        break;
      } catch (err) {
        if (!/out of sequence/.test(String(err))) throw err;
      }
    }
    const deadline = Date.now() + (graceSeconds + tenant.wakeTimeoutSeconds) * 1000;
    for (;;) {
      const now = runningTask(await this.tasks(tenant.container));
      if (now && now.ID !== before) return;
      if (Date.now() >= deadline) throw new WakeTimeoutError(tenant.id, tenant.wakeTimeoutSeconds);
      await sleep(POLL_MS);
    }
  }

  /** The running task's address on the tenant's overlay; the supervisor's own container joins it first. */
  async address(tenant: DeclaredTenant): Promise<string> {
    const task = runningTask(await this.tasks(tenant.container));
    const on = task?.NetworksAttachments?.find((a) => a.Network.Spec.Name === tenant.network);
    const ip = on?.Addresses?.[0]?.split("/")[0];
    if (!task || !on || !ip) throw new Error(`tenant ${tenant.id} has no address on ${tenant.network}: no task of it runs`);
    await this.joins.join(tenant.network, on.Network.ID);
    return `${ip}:${tenant.port}`;
  }

  async logs(tenant: DeclaredTenant, lines: number): Promise<string[]> {
    // Without follow, dockerode hands back the whole answer as one buffer, whatever its types say.
    const raw = (await this.docker.getService(tenant.container).logs({ stdout: true, stderr: true, tail: lines, timestamps: true })) as unknown as Buffer;
    return demux(raw).split("\n").filter(Boolean);
  }

  async stats(tenant: DeclaredTenant): Promise<TenantStats> {
    const container = runningTask(await this.tasks(tenant.container))?.Status.ContainerStatus?.ContainerID;
    if (!container) throw new Error(`tenant ${tenant.id} is asleep: no task of it runs`);
    try {
      return await containerStats(this.docker, container);
    } catch (err) {
      if (statusOf(err) === 404) throw new Error(`tenant ${tenant.id} runs on another node: its stats are read from that node's engine`);
      throw err;
    }
  }

  async disk(tenant: DeclaredTenant): Promise<TenantDisk | undefined> {
    return tenantDisk(this.docker, tenant);
  }

  /**
   * Service events (created, updated, removed) and the task containers' start and die events on this node. Neither carries
   * the service's labels, so tenants are known by service name from the last discover.
   */
  watch(onEvent: (event: EngineEvent) => void): () => void {
    return followEvents<SwarmEvent>(this.docker, { type: ["service", "container"] }, "swarm", (event) => this.onSwarmEvent(event, onEvent), onEvent);
  }

  private onSwarmEvent(event: SwarmEvent, onEvent: (event: EngineEvent) => void): void {
    const attrs = event.Actor?.Attributes ?? {};
    if (event.Type === "service") {
      const tenant = this.tenantOfService.get(attrs.name ?? "");
      if (event.Action === "create") onEvent({ kind: "declared-changed" });
      if (event.Action === "update" && tenant && attrs["replicas.new"] === "0") onEvent({ kind: "stopped", tenant });
      if (event.Action === "remove") {
        onEvent({ kind: "declared-changed" });
        if (tenant) {
          onEvent({ kind: "stopped", tenant });
          onEvent({ kind: "removed", tenant });
        }
      }
      return;
    }
    const tenant = this.tenantOfService.get(attrs["com.docker.swarm.service.name"] ?? "");
    // A task container starting is the tenant up: what is kept from events (runtime/engine/up-states.ts) needs it.
    if (event.Action === "start" && tenant) onEvent({ kind: "running", tenant });
    if (event.Action === "die" && tenant) onEvent({ kind: "stopped", tenant });
  }
}

/** The task whose container runs now, if any (one being shut down still runs until it exits). */
function runningTask(tasks: Task[]): Task | undefined {
  return tasks.find((t) => t.Status.State === "running");
}

interface SwarmEvent {
  Type: string;
  Action: string;
  Actor?: { Attributes?: Record<string, string> };
}
