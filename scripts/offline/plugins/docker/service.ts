import * as provider from "@pulumi/pulumi/provider";
import { ResourceHandler } from "../common/dispatch";
import { checkInputs } from "../common/properties";
import { containsUnknown, PropertyBag, unwrapBag } from "../common/values";
import { withAutoName, withReplaceOrder } from "./autoname";
import { daemonError, docker, isNotFound } from "./client";
import { parseDuration } from "./duration";
import { serviceSpecOf } from "./service-config";
import { diffService } from "./service-diff";
import { readService } from "./service-read";
import { serviceSpec, withServiceDefaults, withStoredComputed } from "./service-spec";

type Bag = PropertyBag | undefined;

/** Required fields inside blocks and the value checks upstream's schema makes (ValidateDiagFunc), so mistakes show in preview. */
function valueFailures(inputs: PropertyBag): provider.CheckFailure[] {
    const failures: provider.CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason: `docker stand-in: Service ${property} ${reason}` });
    const given = (v: unknown) => v !== undefined && v !== null;
    const known = (v: unknown) => given(v) && !containsUnknown(v);
    const required = (block: Bag, key: string, path: string) => {
        if (block !== undefined && !containsUnknown(block) && !given(block[key])) fail(`${path}.${key}`, "is required");
    };
    const oneOf = (v: unknown, path: string, allowed: readonly string[]) => {
        if (known(v) && !allowed.includes(v as string)) fail(path, `must be one of ${allowed.join(", ")}`);
    };
    const durationAt = (block: Bag, key: string, path: string) => {
        if (block === undefined || !known(block[key])) return;
        try {
            parseDuration(block[key] as string);
        } catch (err) {
            fail(`${path}.${key}`, (err as Error).message);
        }
    };
    const atLeastZero = (v: unknown, path: string) => {
        if (known(v) && (v as number) < 0) fail(path, "must be at least 0");
    };

    const task = inputs.taskSpec as Bag;
    required(task, "containerSpec", "taskSpec");
    const c = task?.containerSpec as Bag;
    required(c, "image", "taskSpec.containerSpec");
    ((c?.mounts as PropertyBag[] | undefined) ?? []).forEach((m, i) => {
        const path = `taskSpec.containerSpec.mounts[${i}]`;
        required(m, "type", path);
        required(m, "target", path);
        oneOf(m.type, `${path}.type`, ["bind", "volume", "tmpfs"]);
    });
    const health = c?.healthcheck as Bag;
    required(health, "tests", "taskSpec.containerSpec.healthcheck");
    for (const key of ["interval", "timeout", "startPeriod"]) durationAt(health, key, "taskSpec.containerSpec.healthcheck");
    atLeastZero(health?.retries, "taskSpec.containerSpec.healthcheck.retries");
    ((task?.networksAdvanceds as PropertyBag[] | undefined) ?? []).forEach((n, i) => required(n, "name", `taskSpec.networksAdvanceds[${i}]`));
    const restart = task?.restartPolicy as Bag;
    oneOf(restart?.condition, "taskSpec.restartPolicy.condition", ["none", "on-failure", "any"]);
    for (const key of ["delay", "window"]) durationAt(restart, key, "taskSpec.restartPolicy");
    atLeastZero(restart?.maxAttempts, "taskSpec.restartPolicy.maxAttempts");
    atLeastZero(((inputs.mode as Bag)?.replicated as Bag)?.replicas, "mode.replicated.replicas");
    for (const [key, actions] of [["updateConfig", ["pause", "continue", "rollback"]], ["rollbackConfig", ["pause", "continue"]]] as const) {
        const u = inputs[key] as Bag;
        oneOf(u?.failureAction, `${key}.failureAction`, actions);
        oneOf(u?.order, `${key}.order`, ["stop-first", "start-first"]);
        for (const d of ["delay", "monitor"]) durationAt(u, d, key);
        atLeastZero(u?.parallelism, `${key}.parallelism`);
        const ratio = u?.maxFailureRatio;
        if (known(ratio) && !(Number(ratio) >= 0 && Number(ratio) <= 1)) fail(`${key}.maxFailureRatio`, "must be a number from 0.0 to 1.0");
    }
    const endpoint = inputs.endpointSpec as Bag;
    oneOf(endpoint?.mode, "endpointSpec.mode", ["vip", "dnsrr"]);
    ((endpoint?.ports as PropertyBag[] | undefined) ?? []).forEach((p, i) => {
        required(p, "targetPort", `endpointSpec.ports[${i}]`);
        oneOf(p.protocol, `endpointSpec.ports[${i}].protocol`, ["tcp", "udp", "sctp"]);
        oneOf(p.publishMode, `endpointSpec.ports[${i}].publishMode`, ["host", "ingress"]);
    });
    return failures;
}

async function outputsOf(id: string, declared: PropertyBag): Promise<PropertyBag> {
    const outs = await readService(id, declared);
    if (outs === undefined) {
        throw new Error(`docker stand-in: service ${id} vanished while it was being applied`);
    }
    return outs;
}

/**
 * As upstream without converge_config (not implemented here): create, update and delete return once the swarm
 * has the new spec, without waiting for tasks to start or stop. A service declared with 0 replicas has none.
 */
export const service: ResourceHandler = {
    async check(olds, news, logicalName) {
        const named = withAutoName(logicalName, olds, news);
        const result = checkInputs(serviceSpec, named);
        const failures = [...(result.failures ?? [])];
        if (failures.length === 0) {
            failures.push(...valueFailures(unwrapBag(named)));
        }
        return { inputs: result.inputs, failures };
    },
    async diff(_id, olds, news) {
        return withReplaceOrder(news, diffService(olds, news));
    },
    async create(inputs) {
        const n = withServiceDefaults(inputs);
        const created = await docker().createService(serviceSpecOf(n)).catch((err: unknown) => {
            throw new Error(`docker stand-in: cannot create service ${String(n.name)}: ${(daemonError(err) as Error).message}`);
        });
        return { id: created.id, outs: await outputsOf(created.id, n) };
    },
    async read(id, props) {
        const current = await readService(id, props);
        return current === undefined ? { id: "", props: {} } : { id, props: current };
    },
    async update(id, olds, news) {
        // As upstream: the whole spec, stored values standing in for computed ones the program leaves out.
        const n = withServiceDefaults(withStoredComputed(olds, news));
        const current = docker().getService(id);
        const { Version } = (await current.inspect()) as { Version: { Index: number } };
        await current.update({ version: Version.Index, ...serviceSpecOf(n) }).catch((err: unknown) => {
            throw new Error(`docker stand-in: cannot update service ${String(n.name)}: ${(daemonError(err) as Error).message}`);
        });
        return { outs: await outputsOf(id, n) };
    },
    async delete(id) {
        try {
            await docker().getService(id).remove();
        } catch (err) {
            if (!isNotFound(err)) throw daemonError(err);
        }
    },
};
