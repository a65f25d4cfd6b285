import Docker from "dockerode";
import { PropertyBag } from "../common/values";
import { parseDuration } from "./duration";
import { labelsToMap } from "./labels";
import { Mount, mountsToApi } from "./mounts";

type Bag = PropertyBag | undefined;
const ns = (d: unknown) => (typeof d === "string" ? parseDuration(d) : 0);

function updateConfig(u: Bag): Docker.UpdateConfig | undefined {
    if (u === undefined) return undefined;
    return {
        Parallelism: (u.parallelism as number | undefined) ?? 1,
        Delay: ns(u.delay),
        FailureAction: u.failureAction as string,
        Monitor: ns(u.monitor),
        MaxFailureRatio: Number(u.maxFailureRatio ?? 0),
        Order: u.order as string,
    };
}

function resources(r: Bag): { NanoCPUs: number; MemoryBytes: number } | undefined {
    return r === undefined ? undefined : { NanoCPUs: (r.nanoCpus as number | undefined) ?? 0, MemoryBytes: (r.memoryBytes as number | undefined) ?? 0 };
}

/**
 * The swarm ServiceSpec for the inputs (defaults and stored computed values already in), built as upstream's
 * createServiceSpec does: a block the program leaves out is left to the swarm, and the endpoint spec is always
 * sent, so the swarm records its resolution mode ("vip" unless declared).
 */
export function serviceSpecOf(inputs: PropertyBag): Docker.ServiceSpec {
    const task = (inputs.taskSpec as PropertyBag | undefined) ?? {};
    const c = (task.containerSpec as PropertyBag | undefined) ?? {};
    const health = c.healthcheck as Bag;
    const res = task.resources as Bag;
    const restart = task.restartPolicy as Bag;
    const placement = task.placement as Bag;
    const replicated = (inputs.mode as Bag)?.replicated as Bag;
    const endpoint = inputs.endpointSpec as Bag;
    return {
        Name: inputs.name as string,
        Labels: labelsToMap(inputs.labels),
        TaskTemplate: {
            ContainerSpec: {
                Image: c.image as string,
                Labels: labelsToMap(c.labels),
                Env: Object.entries((c.env as Record<string, string> | undefined) ?? {}).map(([k, v]) => `${k}=${v}`),
                Mounts: mountsToApi(c.mounts as Mount[] | undefined),
                User: c.user as string | undefined,
                ReadOnly: (c.readOnly as boolean | undefined) ?? false,
                // API 1.41's names; upstream sends them only when the program lists some.
                ...(c.capAdds === undefined ? {} : { CapabilityAdd: c.capAdds as string[] }),
                ...(c.capDrops === undefined ? {} : { CapabilityDrop: c.capDrops as string[] }),
                ...(health === undefined
                    ? {}
                    : {
                          HealthCheck: {
                              Test: health.tests as string[],
                              Interval: ns(health.interval),
                              Timeout: ns(health.timeout),
                              StartPeriod: ns(health.startPeriod),
                              Retries: (health.retries as number | undefined) ?? 0,
                          },
                      }),
            },
            ...(res === undefined ? {} : { Resources: { Limits: resources(res.limits as Bag), Reservations: resources(res.reservation as Bag) } }),
            ...(restart === undefined
                ? {}
                : {
                      RestartPolicy: {
                          Condition: (restart.condition as string | undefined) ?? "",
                          Delay: ns(restart.delay),
                          MaxAttempts: (restart.maxAttempts as number | undefined) ?? 0,
                          Window: ns(restart.window),
                      },
                  }),
            ...(placement === undefined ? {} : { Placement: { Constraints: (placement.constraints as string[] | undefined) ?? [] } }),
            Networks: ((task.networksAdvanceds as PropertyBag[] | undefined) ?? []).map((n) => ({
                Target: n.name as string,
                Aliases: (n.aliases as string[] | undefined) ?? [],
            })),
        },
        // Upstream sends an empty mode when none is declared: the swarm makes it replicated, one replica.
        Mode: replicated === undefined ? {} : { Replicated: { Replicas: replicated.replicas as number } },
        UpdateConfig: updateConfig(inputs.updateConfig as Bag),
        RollbackConfig: updateConfig(inputs.rollbackConfig as Bag),
        EndpointSpec: {
            Mode: (endpoint?.mode as string | undefined) ?? "",
            Ports: ((endpoint?.ports as PropertyBag[] | undefined) ?? []).map((p) => ({
                Name: (p.name as string | undefined) ?? "",
                Protocol: p.protocol as "tcp" | "udp" | "sctp",
                TargetPort: p.targetPort as number,
                PublishedPort: (p.publishedPort as number | undefined) ?? 0,
                PublishMode: p.publishMode as "ingress" | "host",
            })),
        },
    };
}
