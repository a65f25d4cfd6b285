import { asSet, changedKeys, DetailedDiffResult, DiffKind, DiffRules, stableJson } from "../common/diff";
import { FieldSpec, ObjectSpec } from "../common/properties";
import { containsUnknown, isRecord, PropertyBag } from "../common/values";
import { parseDuration } from "./duration";
import { serviceSpec, withServiceDefaults, withStoredComputed } from "./service-spec";

const ns = (d: unknown) => (typeof d === "string" ? parseDuration(d) : 0);

function map<T extends PropertyBag>(block: unknown, f: (b: PropertyBag) => T): T | undefined {
    return isRecord(block) ? f(block) : undefined;
}

const nonEmpty = (list: unknown) => (Array.isArray(list) && list.length > 0 ? (list as string[]) : undefined);

const updateConfig = (u: PropertyBag) => ({
    ...u,
    delay: ns(u.delay),
    monitor: ns(u.monitor),
    maxFailureRatio: Number(u.maxFailureRatio ?? 0),
});

/** Compared form: defaults filled, sets sorted, durations in nanoseconds, unset numbers 0 as in a Terraform state. */
function canonical(inputs: PropertyBag): PropertyBag {
    const b = withServiceDefaults(inputs);
    const task = (b.taskSpec as PropertyBag | undefined) ?? {};
    const resources = (r: PropertyBag) => ({ nanoCpus: r.nanoCpus ?? 0, memoryBytes: r.memoryBytes ?? 0 });
    return {
        ...b,
        labels: asSet(b.labels as unknown[] | undefined),
        taskSpec: {
            ...task,
            containerSpec: map(task.containerSpec, (c) => ({
                ...c,
                labels: asSet(c.labels as unknown[] | undefined),
                mounts: asSet(
                    (c.mounts as PropertyBag[] | undefined)?.map((m) => ({
                        ...m,
                        readOnly: m.readOnly ?? false,
                        tmpfsOptions: map(m.tmpfsOptions, (t) => ({ sizeBytes: t.sizeBytes ?? 0, mode: t.mode ?? 0 })),
                    })),
                ),
                user: c.user ?? "",
                readOnly: c.readOnly ?? false,
                // Sets upstream: order is no change, and an empty set is none.
                capAdds: asSet(nonEmpty(c.capAdds)),
                capDrops: asSet(nonEmpty(c.capDrops)),
                healthcheck: map(c.healthcheck, (h) => ({
                    ...h,
                    interval: ns(h.interval),
                    timeout: ns(h.timeout),
                    startPeriod: ns(h.startPeriod),
                })),
            })),
            resources: map(task.resources, (r) => ({ limits: map(r.limits, resources), reservation: map(r.reservation, resources) })),
            placement: map(task.placement, (p) => ({ constraints: asSet(p.constraints as string[] | undefined) })),
            networksAdvanceds: asSet(
                (task.networksAdvanceds as PropertyBag[] | undefined)?.map((n) => ({ ...n, aliases: asSet(n.aliases as string[] | undefined) })),
            ),
            restartPolicy: map(task.restartPolicy, (r) => ({
                condition: r.condition ?? "",
                delay: ns(r.delay),
                maxAttempts: r.maxAttempts ?? 0,
                window: ns(r.window),
            })),
        },
        updateConfig: map(b.updateConfig, updateConfig),
        rollbackConfig: map(b.rollbackConfig, updateConfig),
        endpointSpec: map(b.endpointSpec, (e) => ({
            ...e,
            ports: (e.ports as PropertyBag[] | undefined)?.map((p) => ({ ...p, name: p.name ?? "", publishedPort: p.publishedPort ?? 0 })),
        })),
    };
}

/**
 * Upstream's resource_docker_service.go has an Update: everything but `name` (and `auth`, not implemented here)
 * is applied to the running service by one service update. `mode` is ForceNew as a block only: declaring it where
 * the state has none (or dropping it, which its Computed makes no change) replaces; a change inside it does not.
 */
const rules: DiffRules = {
    keys: Object.keys(serviceSpec.properties),
    replaceOn: new Set(["name"]),
    canonical,
};

/** Unknown values count as changed; keep them away from canonical(), which parses values. */
const known = (bag: PropertyBag) => Object.fromEntries(Object.entries(bag).filter(([, v]) => !containsUnknown(v)));

function kindOf(o: unknown, n: unknown, replaces: boolean): DiffKind {
    const kind: DiffKind = stableJson(o) === "null" ? "add" : !containsUnknown(n) && stableJson(n) === "null" ? "delete" : "update";
    return replaces ? (`${kind}-replace` as DiffKind) : kind;
}

/**
 * One entry per changed property, as deep as the bridge names them: inside blocks (`taskSpec.resources.limits
 * .memoryBytes`) and map entries (`taskSpec.containerSpec.env.PORT`); a list or set is named whole.
 */
function detail(spec: FieldSpec, o: unknown, n: unknown, path: string, out: Record<string, DiffKind>): void {
    if (stableJson(o) === stableJson(n) && !containsUnknown(n)) return;
    const inner: ObjectSpec | undefined = typeof spec === "object" && "object" in spec ? spec.object : undefined;
    const bothObjects = isRecord(o) && isRecord(n) && !containsUnknown(n);
    if (bothObjects && (inner !== undefined || spec === "stringMap")) {
        for (const key of new Set([...Object.keys(o), ...Object.keys(n)])) {
            detail(inner?.[key] ?? "string", o[key], n[key], `${path}.${key}`, out);
        }
        return;
    }
    out[path] = kindOf(o, n, false);
}

export function diffService(olds: PropertyBag, news: PropertyBag): DetailedDiffResult {
    const filled = withStoredComputed(olds, news);
    const changed = changedKeys(olds, filled, rules);
    const o = canonical(olds);
    const n = { ...canonical(known(filled)), ...Object.fromEntries(Object.entries(filled).filter(([, v]) => containsUnknown(v))) };
    const modeBlock = (v: unknown) => stableJson(v) !== "null";
    const replaces = changed.filter((k) => k === "name" || (k === "mode" && modeBlock(o.mode) !== modeBlock(n.mode)));
    const detailedDiff: Record<string, DiffKind> = {};
    for (const k of changed) {
        if (replaces.includes(k)) {
            detailedDiff[k] = kindOf(o[k], n[k], true);
            continue;
        }
        detail(serviceSpec.properties[k], o[k], n[k], k, detailedDiff);
    }
    return { changes: changed.length > 0, replaces, diffs: changed, detailedDiff };
}
