import { ResourceSpec } from "../common/properties";
import { isRecord, PropertyBag, UNKNOWN } from "../common/values";
import { labelSpec } from "./labels";
import { mountSpec } from "./mounts";

const updateOrRollback = {
    object: { parallelism: "number", delay: "string", failureAction: "string", monitor: "string", maxFailureRatio: "string", order: "string" },
} as const;

/** The properties of docker:index/service:Service a tenant's service needs, as the SDK names them. */
export const serviceSpec: ResourceSpec = {
    plugin: "docker stand-in",
    resource: "Service",
    properties: {
        name: "string",
        labels: labelSpec,
        taskSpec: {
            object: {
                containerSpec: {
                    object: {
                        image: "string",
                        env: "stringMap",
                        labels: labelSpec,
                        mounts: mountSpec,
                        user: "string",
                        readOnly: "boolean",
                        capAdds: "stringList",
                        capDrops: "stringList",
                        healthcheck: { object: { tests: "stringList", interval: "string", timeout: "string", startPeriod: "string", retries: "number" } },
                    },
                },
                resources: {
                    object: {
                        limits: { object: { nanoCpus: "number", memoryBytes: "number" } },
                        reservation: { object: { nanoCpus: "number", memoryBytes: "number" } },
                    },
                },
                placement: { object: { constraints: "stringList" } },
                networksAdvanceds: { list: { name: "string", aliases: "stringList" } },
                restartPolicy: { object: { condition: "string", delay: "string", maxAttempts: "number", window: "string" } },
            },
        },
        mode: { object: { replicated: { object: { replicas: "number" } } } },
        updateConfig: updateOrRollback,
        rollbackConfig: updateOrRollback,
        endpointSpec: {
            object: {
                mode: "string",
                ports: { list: { name: "string", protocol: "string", targetPort: "number", publishedPort: "number", publishMode: "string" } },
            },
        },
    },
    required: ["name", "taskSpec"],
};

/**
 * Optional+Computed upstream (resource_docker_service.go): left out of the program, what the provider stored
 * is kept. Outer paths come first, so an inner one finds its parent filled.
 */
const COMPUTED = [
    "labels",
    "taskSpec.containerSpec.healthcheck",
    "taskSpec.resources",
    "taskSpec.restartPolicy",
    "taskSpec.placement",
    "mode",
    "mode.replicated",
    "endpointSpec",
    "endpointSpec.mode",
];

const absent = (v: unknown) => v === undefined || v === null;

function at(bag: unknown, path: readonly string[]): unknown {
    return path.reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), bag);
}

/** news with every computed property it leaves out taken from olds, as the engine sees it upstream. */
export function withStoredComputed(olds: PropertyBag, news: PropertyBag): PropertyBag {
    const out = structuredClone(news);
    for (const dotted of COMPUTED) {
        const path = dotted.split(".");
        const parent = at(out, path.slice(0, -1));
        const key = path[path.length - 1];
        const stored = at(olds, path);
        if (isRecord(parent) && absent(parent[key]) && !absent(stored)) {
            parent[key] = structuredClone(stored);
        }
    }
    // endpoint_spec.ports[].published_port is Computed too: the swarm picks one when none is given.
    const ports = at(out, ["endpointSpec", "ports"]);
    const storedPorts = at(olds, ["endpointSpec", "ports"]);
    if (Array.isArray(ports) && Array.isArray(storedPorts)) {
        for (const p of ports) {
            if (!isRecord(p) || !absent(p.publishedPort)) continue;
            const same = storedPorts.find(
                (s) => isRecord(s) && s.targetPort === p.targetPort && (s.protocol ?? "tcp") === (p.protocol ?? "tcp"),
            ) as PropertyBag | undefined;
            if (same !== undefined) p.publishedPort = same.publishedPort;
        }
    }
    return out;
}

function defaultsOf(block: unknown, defaults: PropertyBag): unknown {
    return isRecord(block) ? { ...defaults, ...Object.fromEntries(Object.entries(block).filter(([, v]) => !absent(v))) } : block;
}

const UPDATE_DEFAULTS = { parallelism: 1, delay: "0s", failureAction: "pause", monitor: "5s", maxFailureRatio: "0.0", order: "stop-first" };

/** Defaults upstream's schema applies (Default:), inside blocks the program declares. */
export function withServiceDefaults(inputs: PropertyBag): PropertyBag {
    const out = structuredClone(inputs);
    const container = at(out, ["taskSpec", "containerSpec"]);
    if (isRecord(container)) {
        container.healthcheck = defaultsOf(container.healthcheck, { interval: "0s", timeout: "0s", startPeriod: "0s", retries: 0 });
    }
    const mode = out.mode;
    if (isRecord(mode) && mode.replicated !== UNKNOWN) {
        mode.replicated = defaultsOf(mode.replicated ?? {}, { replicas: 1 });
    }
    out.updateConfig = defaultsOf(out.updateConfig, UPDATE_DEFAULTS);
    out.rollbackConfig = defaultsOf(out.rollbackConfig, UPDATE_DEFAULTS);
    const endpoint = out.endpointSpec;
    if (isRecord(endpoint) && Array.isArray(endpoint.ports)) {
        endpoint.ports = endpoint.ports.map((p) => defaultsOf(p, { protocol: "tcp", publishMode: "ingress" }));
    }
    return out;
}
