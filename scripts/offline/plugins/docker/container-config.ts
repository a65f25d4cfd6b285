import Docker from "dockerode";
import { PropertyBag } from "../common/values";
import { parseDuration } from "./duration";
import { labelsToMap } from "./labels";
import { Mount, mountsToApi } from "./mounts";

const MIB = 1024 * 1024;

interface Volume {
    volumeName?: string;
    hostPath?: string;
    containerPath?: string;
    readOnly?: boolean;
    fromContainer?: string;
}

interface Port {
    internal: number;
    external?: number;
    ip?: string;
    protocol?: string;
}

interface Ulimit {
    name: string;
    soft: number;
    hard: number;
}

interface Healthcheck {
    tests?: string[];
    interval?: string;
    timeout?: string;
    startPeriod?: string;
    startInterval?: string;
    retries?: number;
}

export function nanoCpus(cpus: string): number {
    const value = Number(cpus);
    if (!Number.isFinite(value) || value <= 0) {
        throw new Error(`cpus must be a positive number such as "0.5", got "${cpus}"`);
    }
    return Math.round(value * 1e9);
}

/** Upstream: memory_swap in MB, except -1 (unlimited) and 0 (not set) which pass through. */
export function memorySwapBytes(mb: number): number {
    return mb > 0 ? mb * MIB : mb;
}

function binds(volumes: Volume[]): { binds: string[]; volumesFrom: string[] } {
    const out = { binds: [] as string[], volumesFrom: [] as string[] };
    for (const v of volumes) {
        if (v.fromContainer !== undefined) {
            out.volumesFrom.push(v.fromContainer);
            continue;
        }
        const source = v.volumeName ?? v.hostPath;
        if (source === undefined || v.containerPath === undefined) {
            throw new Error("volumes: each entry needs containerPath and one of volumeName, hostPath or fromContainer");
        }
        out.binds.push(`${source}:${v.containerPath}${v.readOnly ? ":ro" : ""}`);
    }
    return out;
}

function healthConfig(h: Healthcheck | undefined): Docker.ContainerCreateOptions["Healthcheck"] {
    if (h === undefined || h.tests === undefined || h.tests.length === 0) {
        return undefined;
    }
    const ns = (d: string | undefined) => (d === undefined ? 0 : parseDuration(d));
    return {
        Test: h.tests,
        Interval: ns(h.interval),
        Timeout: ns(h.timeout),
        StartPeriod: ns(h.startPeriod),
        // Not in @types/dockerode's HealthConfig yet; the API (1.44+) reads it, older engines ignore it.
        ...(h.startInterval === undefined ? {} : { StartInterval: ns(h.startInterval) }),
        Retries: h.retries ?? 0,
    };
}

/** The Docker create request for the inputs, built the way upstream's resourceDockerContainerCreate does. */
export function createOptions(inputs: PropertyBag): Docker.ContainerCreateOptions {
    const ports = (inputs.ports as Port[] | undefined) ?? [];
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of ports) {
        const key = `${p.internal}/${p.protocol ?? "tcp"}`;
        exposed[key] = {};
        (bindings[key] ??= []).push({ HostIp: p.ip ?? "0.0.0.0", HostPort: p.external === undefined ? "" : String(p.external) });
    }
    const { binds: bindList, volumesFrom } = binds((inputs.volumes as Volume[] | undefined) ?? []);
    const mounts = mountsToApi(inputs.mounts as Mount[] | undefined);
    const caps = inputs.capabilities as { adds?: string[]; drops?: string[] } | undefined;
    const memory = inputs.memory as number | undefined;
    const swap = inputs.memorySwap as number | undefined;
    return {
        name: inputs.name as string,
        Image: inputs.image as string,
        Hostname: inputs.hostname as string | undefined,
        Env: inputs.envs as string[] | undefined,
        Cmd: inputs.command as string[] | undefined,
        Entrypoint: inputs.entrypoints as string[] | undefined,
        User: inputs.user as string | undefined,
        WorkingDir: inputs.workingDir as string | undefined,
        Labels: labelsToMap(inputs.labels),
        ExposedPorts: exposed,
        Healthcheck: healthConfig(inputs.healthcheck as Healthcheck | undefined),
        HostConfig: {
            RestartPolicy: { Name: (inputs.restart as string | undefined) ?? "no", MaximumRetryCount: (inputs.maxRetryCount as number | undefined) ?? 0 },
            Memory: memory === undefined ? undefined : memory * MIB,
            MemorySwap: swap === undefined ? undefined : memorySwapBytes(swap),
            CpuShares: inputs.cpuShares as number | undefined,
            CpusetCpus: inputs.cpuSet as string | undefined,
            NanoCpus: inputs.cpus === undefined ? undefined : nanoCpus(inputs.cpus as string),
            Binds: bindList,
            VolumesFrom: volumesFrom,
            Mounts: mounts,
            Tmpfs: inputs.tmpfs as Record<string, string> | undefined,
            PortBindings: bindings,
            ReadonlyRootfs: (inputs.readOnly as boolean | undefined) ?? false,
            CapAdd: caps?.adds,
            CapDrop: caps?.drops,
            SecurityOpt: inputs.securityOpts as string[] | undefined,
            Ulimits: ((inputs.ulimits as Ulimit[] | undefined) ?? []).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
            LogConfig: { Type: (inputs.logDriver as string | undefined) ?? "", Config: (inputs.logOpts as Record<string, string> | undefined) ?? {} },
            NetworkMode: (inputs.networkMode as string | undefined) ?? "bridge",
            PidMode: inputs.pidMode as string | undefined,
            Init: inputs.init as boolean | undefined,
        },
    };
}
