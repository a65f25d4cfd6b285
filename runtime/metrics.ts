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
    help: "From the first held request to the tenant answering its health check",
    buckets: [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });
  readonly heldRequests = new Gauge({
    name: "dormer_held_requests",
    help: "Requests held right now while their tenant wakes",
    registers: [this.registry],
  });
  readonly tenantsAwake = new Gauge({
    name: "dormer_tenants_awake",
    help: "Tenants whose containers are running",
    registers: [this.registry],
  });
  readonly proxyErrors = new Counter({
    name: "dormer_proxy_errors_total",
    help: "Requests the supervisor could not forward, by tenant and kind",
    labelNames: ["tenant", "kind"],
    registers: [this.registry],
  });
  readonly sleeps = new Counter({
    name: "dormer_sleeps_total",
    help: "Tenants put to sleep, by reason (idle, admin, unhealthy)",
    labelNames: ["tenant", "reason"],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
