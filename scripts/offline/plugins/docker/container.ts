import * as provider from "@pulumi/pulumi/provider";
import { changedKeys, diffInputs } from "../common/diff";
import { ResourceHandler } from "../common/dispatch";
import { checkInputs } from "../common/properties";
import { containsUnknown, PropertyBag, unwrapBag } from "../common/values";
import { withAutoName, withReplaceOrder } from "./autoname";
import { docker, isNotFound } from "./client";
import { createOptions, memorySwapBytes, nanoCpus } from "./container-config";
import { readContainer } from "./container-read";
import { containerRules, containerSpec, UPDATED_IN_PLACE, withDefaults, withKnownExternalPorts } from "./container-spec";
import { parseDuration } from "./duration";
import { ensureLocalImage } from "./local-image";
import { Upload, uploadArchive, uploadFailure } from "./upload";

const MIB = 1024 * 1024;
const RESTART_POLICIES = ["no", "on-failure", "always", "unless-stopped"];
const MOUNT_TYPES = ["bind", "volume", "tmpfs"];

/** Value checks upstream makes in its schema (ValidateDiagFunc), so mistakes show up in preview. */
function valueFailures(inputs: PropertyBag): provider.CheckFailure[] {
    const failures: provider.CheckFailure[] = [];
    const known = (v: unknown) => v !== undefined && v !== null && !containsUnknown(v);
    const fail = (property: string, reason: string) => failures.push({ property, reason: `docker stand-in: Container ${reason}` });
    if (known(inputs.restart) && !RESTART_POLICIES.includes(inputs.restart as string)) {
        fail("restart", `restart must be one of ${RESTART_POLICIES.join(", ")}`);
    }
    if (known(inputs.cpus)) {
        try {
            nanoCpus(inputs.cpus as string);
        } catch (err) {
            fail("cpus", (err as Error).message);
        }
    }
    for (const key of ["memory", "cpuShares"]) {
        if (known(inputs[key]) && (inputs[key] as number) < 0) {
            fail(key, `${key} must be at least 0`);
        }
    }
    const health = inputs.healthcheck as PropertyBag | undefined;
    for (const key of ["interval", "timeout", "startPeriod", "startInterval"]) {
        if (health !== undefined && known(health[key])) {
            try {
                parseDuration(health[key] as string);
            } catch (err) {
                fail(`healthcheck.${key}`, `healthcheck.${key}: ${(err as Error).message}`);
            }
        }
    }
    ((inputs.mounts as PropertyBag[] | undefined) ?? []).forEach((m, i) => {
        if (known(m.type) && !MOUNT_TYPES.includes(m.type as string)) {
            fail(`mounts[${i}].type`, `mounts[${i}].type must be one of ${MOUNT_TYPES.join(", ")}`);
        }
    });
    ((inputs.uploads as PropertyBag[] | undefined) ?? []).forEach((u, i) => {
        const reason = containsUnknown(u) ? undefined : uploadFailure(u);
        if (reason !== undefined) {
            fail(`uploads[${i}]`, `uploads[${i}]: ${reason}`);
        }
    });
    ((inputs.ulimits as PropertyBag[] | undefined) ?? []).forEach((u, i) => {
        for (const key of ["name", "soft", "hard"]) {
            if (!known(u[key]) && !containsUnknown(u[key])) {
                fail(`ulimits[${i}].${key}`, `ulimits[${i}].${key} is required`);
            }
        }
    });
    return failures;
}

/** `docker container update` with upstream's arguments: restart policy, CPU shares and set, memory, swap. */
async function applyInPlace(id: string, n: PropertyBag): Promise<void> {
    const memory = (n.memory as number | undefined) ?? 0;
    const declaredSwap = n.memorySwap as number | undefined;
    // Raising memory above the swap limit Docker filled in at create (2x memory) is refused by the
    // engine; upstream would fail here. Set swap the way create would have, so the update applies.
    const swap = declaredSwap !== undefined ? memorySwapBytes(declaredSwap) : memory > 0 ? 2 * memory * MIB : undefined;
    await docker().getContainer(id).update({
        RestartPolicy: { Name: n.restart as string, MaximumRetryCount: (n.maxRetryCount as number | undefined) ?? 0 },
        CpuShares: (n.cpuShares as number | undefined) ?? 0,
        Memory: memory * MIB,
        CpusetCpus: (n.cpuSet as string | undefined) ?? "",
        ...(swap === undefined ? {} : { MemorySwap: swap }),
    });
}

async function startIfMustRun(id: string, n: PropertyBag): Promise<void> {
    const container = docker().getContainer(id);
    if (n.mustRun === true && !(await container.inspect()).State.Running) {
        await container.start();
    }
}

async function connectNetworks(id: string, n: PropertyBag): Promise<void> {
    const networks = (n.networksAdvanced as PropertyBag[] | undefined) ?? [];
    if (networks.length === 0) {
        return;
    }
    // As upstream: the container is created on the default bridge, then moved to the declared networks.
    try {
        await docker().getNetwork("bridge").disconnect({ Container: id });
    } catch (err) {
        if (!/is not connected/.test((err as Error).message)) {
            throw err;
        }
    }
    for (const net of networks) {
        await docker().getNetwork(net.name as string).connect({
            Container: id,
            EndpointConfig: {
                Aliases: net.aliases as string[] | undefined,
                IPAMConfig: { IPv4Address: net.ipv4Address as string | undefined, IPv6Address: net.ipv6Address as string | undefined },
            },
        });
    }
}

/**
 * As upstream with `wait`: after the start, the container's health check must report healthy within
 * waitTimeout seconds (asked once a second), or the create fails. A container without a health check never
 * becomes healthy, so it fails the same way.
 */
async function waitHealthy(id: string, n: PropertyBag): Promise<void> {
    const seconds = n.waitTimeout as number;
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
        const state = (await docker().getContainer(id).inspect()).State;
        if (state.Health?.Status === "healthy") {
            return;
        }
        if (!state.Running) {
            throw new Error(`docker stand-in: container ${String(n.name)} exited while waiting for it to be healthy (exit code ${state.ExitCode})`);
        }
        if (Date.now() >= deadline) {
            throw new Error(`docker stand-in: container ${String(n.name)} did not become healthy within ${seconds} s (health: ${state.Health?.Status ?? "no health check"})`);
        }
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/** A log read without a TTY comes framed: 8 bytes (stream, 0, 0, 0, length) before each chunk. */
function demuxLogs(raw: Buffer): string {
    const parts: Buffer[] = [];
    for (let at = 0; at + 8 <= raw.length; ) {
        const length = raw.readUInt32BE(at + 4);
        parts.push(raw.subarray(at + 8, at + 8 + length));
        at += 8 + length;
    }
    return Buffer.concat(parts).toString("utf8");
}

/** As upstream with `attach`: wait for the run to end and, with `logs`, keep what it wrote (stdout and stderr). */
async function attachTo(id: string, n: PropertyBag): Promise<string | undefined> {
    const container = docker().getContainer(id);
    await container.wait();
    if (n.logs !== true) {
        return undefined;
    }
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return demuxLogs(raw);
}

/** What Docker now reports; mustRun is set back to the declared value by callers that just applied it. */
async function outputsOf(id: string, declared: PropertyBag): Promise<PropertyBag> {
    const outs = await readContainer(id, declared);
    if (outs === undefined) {
        throw new Error(`docker stand-in: container ${id} vanished while it was being applied`);
    }
    return outs;
}

async function remove(id: string, props: PropertyBag): Promise<void> {
    const container = docker().getContainer(id);
    try {
        const grace = (props.destroyGraceSeconds as number | undefined) ?? 0;
        if (grace > 0) {
            await container.stop({ t: grace }).catch((err: Error & { statusCode?: number }) => {
                // 304: already stopped.
                if (err.statusCode !== 304) {
                    throw err;
                }
            });
        }
        // `v` removes anonymous volumes only; named volumes are never touched by a container removal.
        await container.remove({ force: true, v: props.removeVolumes ?? true });
    } catch (err) {
        if (!isNotFound(err)) {
            throw err;
        }
    }
}

export const container: ResourceHandler = {
    async check(olds, news, logicalName) {
        const named = withAutoName(logicalName, olds, news);
        const result = checkInputs(containerSpec, named);
        const failures = [...(result.failures ?? [])];
        if (failures.length === 0) {
            failures.push(...valueFailures(unwrapBag(named)));
        }
        return { inputs: result.inputs, failures };
    },
    async diff(_id, olds, news) {
        return withReplaceOrder(news, diffInputs(olds, withKnownExternalPorts(olds, news), containerRules));
    },
    async create(inputs) {
        const n = withDefaults(inputs);
        try {
            await ensureLocalImage(n.image as string);
        } catch (err) {
            throw new Error(`docker stand-in: cannot create container ${String(n.name)}: ${(err as Error).message}`);
        }
        const created = await docker().createContainer(createOptions(n));
        try {
            await connectNetworks(created.id, n);
            // As upstream: each file goes into the created container at "/" before it starts.
            for (const u of (n.uploads as Upload[] | undefined) ?? []) {
                await created.putArchive(uploadArchive(u), { path: "/" });
            }
            let containerLogs: string | undefined;
            if (n.start === true) {
                await created.start();
                if (n.attach === true) {
                    containerLogs = await attachTo(created.id, n);
                }
                const state = (await created.inspect()).State;
                if (n.mustRun === true && !state.Running) {
                    throw new Error(`docker stand-in: container ${String(n.name)} exited immediately (exit code ${state.ExitCode})`);
                }
                if (n.wait === true) {
                    await waitHealthy(created.id, n);
                }
            }
            return { id: created.id, outs: { ...(await outputsOf(created.id, { ...n, containerLogs })), mustRun: n.mustRun } };
        } catch (err) {
            // A failed create leaves no id in the state, so nothing else would ever remove it.
            await remove(created.id, { removeVolumes: true });
            throw err;
        }
    },
    async read(id, props) {
        const current = await readContainer(id, props);
        return current === undefined ? { id: "", props: {} } : { id, props: current };
    },
    async update(id, olds, news) {
        const n = withDefaults(news);
        const changed = changedKeys(olds, withKnownExternalPorts(olds, news), containerRules);
        if (changed.some((k) => (UPDATED_IN_PLACE as readonly string[]).includes(k))) {
            await applyInPlace(id, n);
        }
        await startIfMustRun(id, n);
        return { outs: { ...(await outputsOf(id, { ...n, exitCode: olds.exitCode, containerLogs: olds.containerLogs })), mustRun: n.mustRun } };
    },
    async delete(id, props) {
        await remove(id, props);
    },
};
