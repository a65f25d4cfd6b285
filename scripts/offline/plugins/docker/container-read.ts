import Docker from "dockerode";
import { stableJson } from "../common/diff";
import { PropertyBag } from "../common/values";
import { docker, orUndefined } from "./client";
import { formatDuration, parseDuration } from "./duration";
import { Label } from "./labels";

const MIB = 1024 * 1024;

/** Keep the declared spelling when the engine's value means the same ("1m" stays "1m", not "60s"). */
function keepDeclared<T>(declared: T | undefined, actual: T | undefined, same: (a: T, b: T) => boolean): T | undefined {
    return declared !== undefined && actual !== undefined && same(declared, actual) ? declared : actual;
}

function durationOf(declared: unknown, ns: number | undefined): string | undefined {
    const actual = formatDuration(ns ?? 0);
    return keepDeclared(declared as string | undefined, actual, (a, b) => parseDuration(a) === parseDuration(b));
}

/** Only the declared variables and labels: the rest come from the image, as upstream leaves them out. */
function declaredEnvs(declared: unknown, env: string[] | undefined): string[] | undefined {
    const present = new Set(env ?? []);
    return (declared as string[] | undefined)?.filter((e) => present.has(e));
}

function declaredLabels(declared: unknown, labels: Record<string, string> | undefined): Label[] | undefined {
    return (declared as Label[] | undefined)
        ?.filter((l) => labels?.[l.label] !== undefined)
        .map((l) => ({ label: l.label, value: (labels ?? {})[l.label] }));
}

/** Networks still attached, as declared (aliases and addresses are fixed at connect time). */
function declaredNetworks(declared: unknown, info: Docker.ContainerInspectInfo): PropertyBag[] | undefined {
    const attached = info.NetworkSettings.Networks ?? {};
    const ids = new Set(Object.values(attached).map((n) => n.NetworkID));
    return (declared as PropertyBag[] | undefined)?.filter((n) => attached[n.name as string] !== undefined || ids.has(n.name as string));
}

function volumesOf(hc: Docker.HostConfig): PropertyBag[] {
    const fromBinds = (hc.Binds ?? []).map((bind) => {
        const [source, containerPath, opts = ""] = bind.split(":");
        const readOnly = opts.split(",").includes("ro");
        return source.startsWith("/") ? { hostPath: source, containerPath, readOnly } : { volumeName: source, containerPath, readOnly };
    });
    return [...fromBinds, ...((hc.VolumesFrom ?? []) as string[]).map((fromContainer) => ({ fromContainer }))];
}

function mountsOf(hc: Docker.HostConfig): PropertyBag[] {
    return (hc.Mounts ?? []).map((m) => ({
        type: m.Type,
        target: m.Target,
        source: m.Source === "" ? undefined : m.Source,
        readOnly: m.ReadOnly ?? false,
        tmpfsOptions: m.TmpfsOptions && { sizeBytes: m.TmpfsOptions.SizeBytes, mode: m.TmpfsOptions.Mode },
    }));
}

interface Port {
    internal: number;
    external?: number;
    ip?: string;
    protocol?: string;
}

/** From the configured bindings (present whether or not the container runs), in declared order. */
function portsOf(declared: unknown, hc: Docker.HostConfig): Port[] {
    const ports: Port[] = [];
    for (const [key, list] of Object.entries(hc.PortBindings ?? {}) as [string, { HostIp: string; HostPort: string }[]][]) {
        const [internal, protocol] = key.split("/");
        for (const b of list ?? []) {
            const port: Port = { internal: Number(internal), ip: b.HostIp === "" ? "0.0.0.0" : b.HostIp, protocol };
            const known = (declared as Port[] | undefined)?.find(
                (d) => d.internal === port.internal && (d.ip ?? "0.0.0.0") === port.ip && (d.protocol ?? "tcp") === protocol,
            );
            port.external = b.HostPort === "" ? known?.external : Number(b.HostPort);
            ports.push(port);
        }
    }
    const order = (p: Port) => {
        const i = ((declared as Port[] | undefined) ?? []).findIndex((d) => d.internal === p.internal);
        return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    return ports.sort((a, b) => order(a) - order(b) || a.internal - b.internal);
}

async function imageOf(declared: unknown, actualId: string): Promise<string> {
    // The container records the image id; keep the declared reference while it still names that image.
    if (typeof declared !== "string" || declared === actualId) {
        return actualId;
    }
    const current = await orUndefined(docker().getImage(declared).inspect());
    return current?.Id === actualId ? declared : actualId;
}

/**
 * The container as it is, in the shape of the inputs, or undefined when it no longer exists. `declared`
 * (the state, or the inputs just applied) supplies what Docker does not record (start, mustRun,
 * destroyGraceSeconds, removeVolumes, wait, waitTimeout) and the spelling to keep where the engine's value is equivalent.
 * Whether it is running is left out of the compared properties on purpose: a sleeping tenant woken by
 * the runtime is not drift.
 */
export async function readContainer(id: string, declared: PropertyBag): Promise<PropertyBag | undefined> {
    const info = await orUndefined(docker().getContainer(id).inspect());
    if (info === undefined) {
        return undefined;
    }
    const hc = info.HostConfig;
    const cfg = info.Config;
    const hcheck = cfg.Healthcheck;
    const dh = (declared.healthcheck as PropertyBag | undefined) ?? {};
    const declaredCpus = declared.cpus as string | undefined;
    const declaredCaps = declared.capabilities as PropertyBag | undefined;
    const running = info.State.Running;
    const networks = info.NetworkSettings.Networks ?? {};
    return {
        name: info.Name.replace(/^\//, ""),
        image: await imageOf(declared.image, info.Image),
        start: declared.start ?? true,
        // The SDK documents it: a stopped container that must run reads back as mustRun false, so the
        // next update shows the change and starts it.
        mustRun: (declared.mustRun ?? true) === true && !running ? false : declared.mustRun ?? true,
        destroyGraceSeconds: declared.destroyGraceSeconds,
        removeVolumes: declared.removeVolumes ?? true,
        wait: declared.wait ?? false,
        waitTimeout: declared.waitTimeout ?? 60,
        restart: hc.RestartPolicy?.Name === "" ? "no" : hc.RestartPolicy?.Name,
        maxRetryCount: hc.RestartPolicy?.MaximumRetryCount ?? 0,
        memory: (hc.Memory ?? 0) / MIB,
        // Docker fills MemorySwap (2x memory) when it is not given; report it only when declared.
        memorySwap: declared.memorySwap === undefined ? undefined : (hc.MemorySwap ?? 0) > 0 ? (hc.MemorySwap ?? 0) / MIB : hc.MemorySwap,
        cpuShares: hc.CpuShares ?? 0,
        cpuSet: hc.CpusetCpus === "" ? undefined : hc.CpusetCpus,
        cpus: hc.NanoCpus
            ? keepDeclared(declaredCpus, String(hc.NanoCpus / 1e9), (a, b) => Math.round(Number(a) * 1e9) === Math.round(Number(b) * 1e9))
            : undefined,
        envs: declaredEnvs(declared.envs, cfg.Env),
        labels: declaredLabels(declared.labels, cfg.Labels),
        networkMode: hc.NetworkMode,
        networksAdvanced: declaredNetworks(declared.networksAdvanced, info),
        volumes: volumesOf(hc),
        mounts: mountsOf(hc),
        tmpfs: hc.Tmpfs ?? undefined,
        ports: portsOf(declared.ports, hc),
        healthcheck:
            hcheck?.Test === undefined
                ? undefined
                : {
                      tests: hcheck.Test,
                      interval: durationOf(dh.interval, hcheck.Interval),
                      timeout: durationOf(dh.timeout, hcheck.Timeout),
                      startPeriod: durationOf(dh.startPeriod, hcheck.StartPeriod),
                      startInterval: durationOf(dh.startInterval, (hcheck as { StartInterval?: number }).StartInterval),
                      retries: hcheck.Retries ?? 0,
                  },
        hostname: cfg.Hostname,
        user: cfg.User,
        command: cfg.Cmd ?? undefined,
        entrypoints: Array.isArray(cfg.Entrypoint) ? cfg.Entrypoint : cfg.Entrypoint === undefined || cfg.Entrypoint === null ? undefined : [cfg.Entrypoint],
        workingDir: cfg.WorkingDir,
        readOnly: hc.ReadonlyRootfs ?? false,
        init: hc.Init ?? false,
        capabilities:
            (hc.CapAdd ?? []).length + (hc.CapDrop ?? []).length === 0
                ? undefined
                : keepDeclared(declaredCaps, { adds: hc.CapAdd ?? undefined, drops: hc.CapDrop ?? undefined }, (a, b) => {
                      const norm = (c: PropertyBag) => ({
                          adds: ((c.adds as string[] | undefined) ?? []).map((x) => x.toUpperCase().replace(/^CAP_/, "")).sort(),
                          drops: ((c.drops as string[] | undefined) ?? []).map((x) => x.toUpperCase().replace(/^CAP_/, "")).sort(),
                      });
                      return stableJson(norm(a)) === stableJson(norm(b));
                  }),
        securityOpts: hc.SecurityOpt ?? undefined,
        ulimits: (hc.Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard })),
        logDriver: hc.LogConfig?.Type,
        logOpts: hc.LogConfig?.Config,
        pidMode: hc.PidMode === "" ? undefined : hc.PidMode,
        // Not recorded by Docker; upstream keeps them from the state ("upload can't be imported").
        uploads: declared.uploads,
        attach: declared.attach ?? false,
        logs: declared.logs ?? false,
        // Computed outputs, as upstream's read reports them.
        bridge: (info.NetworkSettings as { Bridge?: string }).Bridge ?? "",
        exitCode: running ? declared.exitCode : info.State.ExitCode,
        // Set once, when an attached container's run ended at create; upstream's read never refreshes it.
        containerLogs: declared.containerLogs,
        networkDatas: Object.entries(networks).map(([networkName, n]) => ({
            networkName,
            ipAddress: n.IPAddress,
            ipPrefixLength: n.IPPrefixLen,
            gateway: n.Gateway,
            macAddress: n.MacAddress,
            globalIpv6Address: n.GlobalIPv6Address,
            globalIpv6PrefixLength: n.GlobalIPv6PrefixLen,
            ipv6Gateway: n.IPv6Gateway,
        })),
    };
}
