import Docker from "dockerode";
import { PropertyBag } from "../common/values";
import { docker, orUndefined } from "./client";
import { formatDuration, parseDuration } from "./duration";
import { mapToLabels } from "./labels";

type Bag = PropertyBag | undefined;

/** Keep the declared spelling when the swarm's value means the same ("1m" stays "1m", not "60s"). */
function duration(declared: unknown, ns: number | undefined): string {
    const actual = formatDuration(ns ?? 0);
    return typeof declared === "string" && parseDuration(declared) === (ns ?? 0) ? declared : actual;
}

function updateConfig(u: Docker.UpdateConfig | undefined, declared: Bag): PropertyBag | undefined {
    if (u === undefined) return undefined;
    return {
        parallelism: u.Parallelism ?? 0,
        delay: duration(declared?.delay, u.Delay),
        failureAction: u.FailureAction,
        monitor: duration(declared?.monitor, u.Monitor),
        // Upstream formats the ratio with one decimal ("0.0"), whatever was written.
        maxFailureRatio: (u.MaxFailureRatio ?? 0).toFixed(1),
        order: u.Order,
    };
}

function resources(r: { NanoCPUs?: number; MemoryBytes?: number } | undefined): PropertyBag | undefined {
    // The swarm reports a block it was not given as {}: not set, as the program left it.
    if (r === undefined || (r.NanoCPUs === undefined && r.MemoryBytes === undefined)) return undefined;
    return { nanoCpus: r.NanoCPUs ?? 0, memoryBytes: r.MemoryBytes ?? 0 };
}

function envMap(env: string[] | undefined): Record<string, string> | undefined {
    if (env === undefined || env.length === 0) return undefined;
    return Object.fromEntries(
        env.map((e) => {
            const at = e.indexOf("=");
            return at < 0 ? [e, ""] : [e.slice(0, at), e.slice(at + 1)];
        }),
    );
}

const nonEmpty = (list: string[] | undefined) => (list === undefined || list.length === 0 ? undefined : list);
/** dockerode's types predate API 1.41's capability lists. */
const spec11 = (c: Docker.ContainerSpec) => c as Docker.ContainerSpec & { CapabilityAdd?: string[]; CapabilityDrop?: string[] };

/**
 * The service as the swarm has it, in the shape of the inputs, or undefined when it no longer exists. As
 * upstream's read: a network reads back as the id the swarm resolved it to, and the endpoint spec as the one
 * in effect (its mode and the ports with their published port). `declared` only supplies duration spellings.
 */
export async function readService(id: string, declared: PropertyBag): Promise<PropertyBag | undefined> {
    const info = (await orUndefined(docker().getService(id).inspect())) as Docker.Service | undefined;
    if (info === undefined || info.Spec === undefined) return undefined;
    const spec = info.Spec;
    const task = spec.TaskTemplate as Docker.TaskSpec & { ContainerSpec?: Docker.ContainerSpec };
    const c = task.ContainerSpec ?? {};
    const dTask = (declared.taskSpec as Bag) ?? {};
    const dHealth = (dTask.containerSpec as Bag)?.healthcheck as Bag;
    const dRestart = dTask.restartPolicy as Bag;
    // The API takes HealthCheck and reports Healthcheck (the engine decodes field names case-blind).
    const h = (c as { Healthcheck?: Docker.HealthConfig }).Healthcheck;
    const limits = resources(task.Resources?.Limits);
    const reservation = resources(task.Resources?.Reservations);
    const endpoint = info.Endpoint?.Spec?.Mode ? info.Endpoint : { Spec: spec.EndpointSpec, Ports: spec.EndpointSpec?.Ports };
    return {
        name: spec.Name,
        labels: mapToLabels(spec.Labels),
        taskSpec: {
            containerSpec: {
                image: c.Image,
                env: envMap(c.Env),
                labels: mapToLabels(c.Labels),
                mounts: (c.Mounts ?? []).map((m) => ({
                    type: m.Type,
                    target: m.Target,
                    source: m.Source,
                    readOnly: m.ReadOnly ?? false,
                    tmpfsOptions: m.TmpfsOptions && { sizeBytes: m.TmpfsOptions.SizeBytes ?? 0, mode: m.TmpfsOptions.Mode ?? 0 },
                })),
                // As upstream's flatten: an unset user reads as "", an unset root as writable.
                user: c.User ?? "",
                readOnly: c.ReadOnly ?? false,
                capAdds: nonEmpty(spec11(c).CapabilityAdd),
                capDrops: nonEmpty(spec11(c).CapabilityDrop),
                healthcheck:
                    h === undefined
                        ? undefined
                        : {
                              tests: h.Test,
                              interval: duration(dHealth?.interval, h.Interval),
                              timeout: duration(dHealth?.timeout, h.Timeout),
                              startPeriod: duration(dHealth?.startPeriod, h.StartPeriod),
                              retries: h.Retries ?? 0,
                          },
            },
            resources: limits === undefined && reservation === undefined ? undefined : { limits, reservation },
            placement: task.Placement === undefined ? undefined : { constraints: task.Placement.Constraints ?? [] },
            networksAdvanceds: (task.Networks ?? []).map((n) => ({ name: n.Target, aliases: n.Aliases })),
            restartPolicy:
                task.RestartPolicy === undefined
                    ? undefined
                    : {
                          condition: task.RestartPolicy.Condition,
                          delay: duration(dRestart?.delay, task.RestartPolicy.Delay),
                          maxAttempts: task.RestartPolicy.MaxAttempts ?? 0,
                          window: duration(dRestart?.window, task.RestartPolicy.Window),
                      },
        },
        mode: { replicated: spec.Mode?.Replicated === undefined ? undefined : { replicas: spec.Mode.Replicated.Replicas ?? 0 } },
        updateConfig: updateConfig(spec.UpdateConfig, declared.updateConfig as Bag),
        rollbackConfig: updateConfig(spec.RollbackConfig, declared.rollbackConfig as Bag),
        endpointSpec: {
            mode: endpoint.Spec?.Mode,
            ports: (endpoint.Ports ?? []).map((p) => ({
                name: p.Name ?? "",
                protocol: p.Protocol,
                targetPort: p.TargetPort,
                publishedPort: p.PublishedPort ?? 0,
                publishMode: p.PublishMode,
            })),
        },
    };
}
