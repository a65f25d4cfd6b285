import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The supervisor's Prometheus metrics, on their own registry (served at /metrics to the admin token). */
export class Metrics {
  readonly registry = new Registry();
  readonly wakes = new Counter({
    name: "dormer_wakes_total",
    help: "Wake-ups by tenant and result (ok, timeout, error)",
    labelNames: ["tenant", "result"],
    registers: [this.registry],
  });
  readonly containerStarts = new Counter({
    name: "dormer_container_starts_total",
    help: "Tenant containers this supervisor started",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly wakeSeconds = new Histogram({
    name: "dormer_wake_duration_seconds",
    help: "From the first held request to the tenant answering its health check, by kind: light (thawed from a pause), deep (started)",
    labelNames: ["kind"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });
  readonly heldRequests = new Gauge({
    name: "dormer_held_requests",
    help: "Requests held right now while their tenant wakes",
    registers: [this.registry],
  });
  readonly tenantsAwake = new Gauge({
    name: "dormer_tenants_awake",
    help: "Tenants whose containers are running (not paused)",
    registers: [this.registry],
  });
  readonly tenantsPaused = new Gauge({
    name: "dormer_tenants_paused",
    help: "Tenants in light sleep: containers paused, memory kept",
    registers: [this.registry],
  });
  readonly pausedMemoryMb = new Gauge({
    name: "dormer_paused_memory_mb",
    help: "Sum of the memory limits (MiB) of the paused tenants, the figure the stack's cap applies to",
    registers: [this.registry],
  });
  readonly proxyErrors = new Counter({
    name: "dormer_proxy_errors_total",
    help: "Requests the supervisor could not forward, by tenant and kind",
    labelNames: ["tenant", "kind"],
    registers: [this.registry],
  });
  readonly proxyResends = new Counter({
    name: "dormer_proxy_resends_total",
    help: "Idempotent requests sent again because the tenant's app was gone before it answered (a replaced or stopped container)",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly connections = new Gauge({
    name: "dormer_tenant_connections",
    help: "Connections open in this supervisor per tenant: requests held or forwarded (http), WebSockets",
    labelNames: ["tenant", "kind"],
    registers: [this.registry],
  });
  readonly connectionsRefused = new Counter({
    name: "dormer_connections_refused_total",
    help: "Requests and WebSockets refused with 503 because the tenant had maxConnections open",
    labelNames: ["tenant", "kind"],
    registers: [this.registry],
  });
  readonly tunnelsClosed = new Counter({
    name: "dormer_tunnels_closed_total",
    help: "WebSocket tunnels closed, by why: clean (both ends closed), half_closed (one end left and the other did not follow within the grace), idle, error, revoked (its API key was revoked or expired)",
    labelNames: ["tenant", "reason"],
    registers: [this.registry],
  });
  readonly sleeps = new Counter({
    name: "dormer_sleeps_total",
    help: "Tenants put to sleep, by reason: light (paused when idle), idle (stopped when idle), paused_memory_cap (a paused tenant stopped to keep under the cap), admin, hold (for a backup or restore), unhealthy",
    labelNames: ["tenant", "reason"],
    registers: [this.registry],
  });
  readonly watchdogProbes = new Counter({
    name: "dormer_watchdog_probes_total",
    help: "Health probes of awake tenants by the watchdog, by tenant and result (ok, failed)",
    labelNames: ["tenant", "result"],
    registers: [this.registry],
  });
  readonly watchdogRestarts = new Counter({
    name: "dormer_watchdog_restarts_total",
    help: "Tenants restarted by the watchdog after repeated failed health probes",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly tenantRequests = new Counter({
    name: "dormer_tenant_requests_total",
    help: "Requests and WebSockets that reached a tenant (what its daily quota counts)",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly tenantBytes = new Counter({
    name: "dormer_tenant_bytes_total",
    help: "Bytes proxied for a tenant, by direction: in (from clients to the tenant), out (back)",
    labelNames: ["tenant", "direction"],
    registers: [this.registry],
  });

  readonly diskUsedBytes = new Gauge({
    name: "dormer_tenant_disk_used_bytes",
    help: "Bytes used on each tenant's disk (its files and data volumes together), as its disk driver reports",
    labelNames: ["tenant"],
    registers: [this.registry],
  });
  readonly diskCapacityBytes = new Gauge({
    name: "dormer_tenant_disk_capacity_bytes",
    help: "Bytes each tenant's disk holds for files: its diskMb less ext4's own metadata; writes past it fail",
    labelNames: ["tenant"],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
