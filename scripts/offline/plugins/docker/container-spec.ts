import { asSet, DiffRules } from "../common/diff";
import { ResourceSpec } from "../common/properties";
import { PropertyBag } from "../common/values";
import { parseDuration } from "./duration";
import { labelSpec } from "./labels";
import { mountSpec } from "./mounts";

export const containerSpec: ResourceSpec = {
    plugin: "docker stand-in",
    resource: "Container",
    properties: {
        name: "string",
        image: "string",
        start: "boolean",
        mustRun: "boolean",
        restart: "string",
        maxRetryCount: "number",
        memory: "number",
        memorySwap: "number",
        cpuShares: "number",
        cpuSet: "string",
        cpus: "string",
        envs: "stringList",
        labels: labelSpec,
        networkMode: "string",
        networksAdvanced: { list: { name: "string", aliases: "stringList", ipv4Address: "string", ipv6Address: "string" } },
        volumes: {
            list: { volumeName: "string", hostPath: "string", containerPath: "string", readOnly: "boolean", fromContainer: "string" },
        },
        mounts: mountSpec,
        tmpfs: "stringMap",
        ports: { list: { internal: "number", external: "number", ip: "string", protocol: "string" } },
        healthcheck: {
            object: { tests: "stringList", interval: "string", timeout: "string", startPeriod: "string", startInterval: "string", retries: "number" },
        },
        hostname: "string",
        user: "string",
        command: "stringList",
        entrypoints: "stringList",
        workingDir: "string",
        readOnly: "boolean",
        init: "boolean",
        capabilities: { object: { adds: "stringList", drops: "stringList" } },
        securityOpts: "stringList",
        ulimits: { list: { name: "string", soft: "number", hard: "number" } },
        logDriver: "string",
        logOpts: "stringMap",
        destroyGraceSeconds: "number",
        removeVolumes: "boolean",
        wait: "boolean",
        waitTimeout: "number",
        pidMode: "string",
        uploads: { list: { file: "string", content: "string", contentBase64: "string", executable: "boolean" } },
        attach: "boolean",
        logs: "boolean",
    },
    required: ["name", "image"],
};

/**
 * Arguments applied to the running container by `docker container update`, exactly the list in
 * upstream resourceDockerContainerUpdate (kreuzwerker/terraform-provider-docker,
 * internal/provider/resource_docker_container_funcs.go).
 */
export const UPDATED_IN_PLACE = ["restart", "maxRetryCount", "cpuShares", "memory", "cpuSet", "memorySwap"] as const;

/**
 * ForceNew in upstream's schema (resource_docker_container.go), among the arguments implemented here.
 * Everything else is an in-place update; those outside UPDATED_IN_PLACE only change the state, as
 * upstream: start, mustRun, destroyGraceSeconds, removeVolumes, healthcheck, init, tmpfs, attach, logs, wait,
 * waitTimeout.
 */
const FORCE_NEW = [
    "name", "image", "readOnly", "hostname", "command", "entrypoints", "user", "workingDir", "capabilities",
    "securityOpts", "mounts", "volumes", "ports", "envs", "labels", "logDriver", "logOpts", "networkMode",
    "networksAdvanced", "cpus", "ulimits", "pidMode", "uploads",
];

/**
 * Optional+Computed upstream (or with a DiffSuppressFunc that ignores ""): when the program leaves them
 * out, what the engine reports (image defaults such as CMD, ENV, LABEL, HEALTHCHECK) is no change.
 */
const COMPUTED = [
    "hostname", "command", "entrypoints", "envs", "labels", "securityOpts", "logDriver", "healthcheck", "init",
    "user", "workingDir",
];

/** Defaults upstream's schema applies (Default: in resource_docker_container.go). */
export function withDefaults(inputs: PropertyBag): PropertyBag {
    return {
        ...inputs,
        start: inputs.start ?? true,
        mustRun: inputs.mustRun ?? true,
        restart: inputs.restart ?? "no",
        removeVolumes: inputs.removeVolumes ?? true,
        readOnly: inputs.readOnly ?? false,
        networkMode: inputs.networkMode ?? "bridge",
        attach: inputs.attach ?? false,
        logs: inputs.logs ?? false,
        wait: inputs.wait ?? false,
        waitTimeout: inputs.waitTimeout ?? 60,
    };
}

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, "");

function canonicalHealthcheck(h: PropertyBag | undefined): PropertyBag | undefined {
    if (h === undefined || h === null) {
        return undefined;
    }
    const ns = (d: unknown) => (typeof d === "string" ? parseDuration(d) : 0);
    return {
        tests: h.tests,
        interval: ns(h.interval),
        timeout: ns(h.timeout),
        startPeriod: ns(h.startPeriod),
        startInterval: ns(h.startInterval),
        retries: h.retries ?? 0,
    };
}

/** Compared form: defaults, sets sorted, units made equal ("0.5" cpus vs 0.50, "60s" vs "1m"). */
function canonical(inputs: PropertyBag): PropertyBag {
    const b = withDefaults(inputs);
    const caps = b.capabilities as { adds?: string[]; drops?: string[] } | undefined;
    return {
        ...b,
        // Unset optional numbers are zero in a Terraform state, so 0 and "not set" compare equal.
        maxRetryCount: b.maxRetryCount ?? 0,
        memory: b.memory ?? 0,
        memorySwap: b.memorySwap ?? 0,
        cpuShares: b.cpuShares ?? 0,
        destroyGraceSeconds: b.destroyGraceSeconds ?? 0,
        cpus: b.cpus === undefined ? undefined : Math.round(parseFloat(b.cpus as string) * 1e9),
        envs: asSet(b.envs as string[] | undefined),
        labels: asSet(b.labels as unknown[] | undefined),
        securityOpts: asSet(b.securityOpts as string[] | undefined),
        ulimits: asSet(b.ulimits as PropertyBag[] | undefined),
        capabilities: caps && { adds: asSet(caps.adds?.map(capName)), drops: asSet(caps.drops?.map(capName)) },
        networksAdvanced: asSet(
            (b.networksAdvanced as PropertyBag[] | undefined)?.map((n) => ({ ...n, aliases: asSet(n.aliases as string[] | undefined) })),
        ),
        volumes: asSet((b.volumes as PropertyBag[] | undefined)?.map((v) => ({ ...v, readOnly: v.readOnly ?? false }))),
        mounts: asSet((b.mounts as PropertyBag[] | undefined)?.map((m) => ({ ...m, readOnly: m.readOnly ?? false }))),
        uploads: asSet((b.uploads as PropertyBag[] | undefined)?.map((u) => ({ ...u, executable: u.executable ?? false }))),
        ports: (b.ports as PropertyBag[] | undefined)?.map((p) => ({ ...p, ip: p.ip ?? "0.0.0.0", protocol: p.protocol ?? "tcp" })),
        healthcheck: canonicalHealthcheck(b.healthcheck as PropertyBag | undefined),
    };
}

export const containerRules: DiffRules = {
    keys: Object.keys(containerSpec.properties),
    replaceOn: new Set(FORCE_NEW),
    computed: new Set(COMPUTED),
    canonical,
};

interface Port {
    internal: number;
    external?: number;
    ip?: string;
    protocol?: string;
}

/**
 * ports[].external is Optional+Computed upstream: left out, the engine picks a host port and that is
 * no change. Fill it from the old state so the comparison sees the same value.
 */
export function withKnownExternalPorts(olds: PropertyBag, news: PropertyBag): PropertyBag {
    const oldPorts = (olds.ports as Port[] | undefined) ?? [];
    const newPorts = news.ports as Port[] | undefined;
    if (!Array.isArray(newPorts)) {
        return news;
    }
    const same = (a: Port, b: Port) =>
        a.internal === b.internal && (a.ip ?? "0.0.0.0") === (b.ip ?? "0.0.0.0") && (a.protocol ?? "tcp") === (b.protocol ?? "tcp");
    const ports = newPorts.map((p) => (p.external !== undefined ? p : { ...p, external: oldPorts.find((o) => same(o, p))?.external }));
    return { ...news, ports };
}
