import * as provider from "@pulumi/pulumi/provider";
import { containsUnknown, isRecord, PropertyBag } from "./values";

/** How one resource type decides between no change, an in-place update and a replacement. */
export interface DiffRules {
    /** Every input property compared. */
    readonly keys: readonly string[];
    /** Properties upstream marks ForceNew: a change to any of them replaces the resource. */
    readonly replaceOn: ReadonlySet<string>;
    /**
     * Optional+Computed properties upstream: left out of the program, whatever the provider stored is
     * kept, so their absence in the new inputs is no change.
     */
    readonly computed?: ReadonlySet<string>;
    /** Brings olds and news to one form (defaults filled, sets sorted) before they are compared. */
    readonly canonical: (bag: PropertyBag) => PropertyBag;
}

/**
 * JSON with sorted keys, so equal values compare equal as strings. Null, undefined, empty lists and
 * empty maps all count as "not set", as they do for the Terraform schemas upstream.
 */
export function stableJson(v: unknown): string {
    const norm = (x: unknown): unknown => {
        if (Array.isArray(x)) {
            return x.length === 0 ? undefined : x.map((item) => norm(item) ?? null);
        }
        if (isRecord(x)) {
            const out: Record<string, unknown> = {};
            for (const k of Object.keys(x).sort()) {
                const inner = norm(x[k]);
                if (inner !== undefined && inner !== null) {
                    out[k] = inner;
                }
            }
            return Object.keys(out).length === 0 ? undefined : out;
        }
        return x;
    };
    return JSON.stringify(norm(v) ?? null);
}

/** Upstream models these lists as TypeSet: order carries no meaning, so compare them sorted. */
export function asSet<T>(items: readonly T[] | undefined): T[] | undefined {
    if (items === undefined) {
        return undefined;
    }
    return [...items].sort((a, b) => stableJson(a).localeCompare(stableJson(b)));
}

export function changedKeys(olds: PropertyBag, news: PropertyBag, rules: DiffRules): string[] {
    const o = rules.canonical(olds);
    // Unknown values count as changed below; keep them away from canonical(), which parses values.
    const n = rules.canonical(Object.fromEntries(Object.entries(news).filter(([, v]) => !containsUnknown(v))));
    return rules.keys.filter((k) => {
        if (containsUnknown(news[k])) {
            return true;
        }
        if (rules.computed?.has(k) && stableJson(n[k]) === "null") {
            return false;
        }
        return stableJson(o[k]) !== stableJson(n[k]);
    });
}

/** The kinds of one property's difference, as the engine's PropertyDiff names them. */
export type DiffKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

/**
 * A diff as a terraform-bridge provider answers it: besides changes and replaces, the changed keys
 * (`diffs`) and one entry per changed property saying whether it was added, deleted or updated and whether
 * that replaces the resource (`detailedDiff`). The engine passes both on in its step events.
 */
export interface DetailedDiffResult extends provider.DiffResult {
    readonly diffs?: string[];
    readonly detailedDiff?: Record<string, DiffKind>;
}

export function diffInputs(olds: PropertyBag, news: PropertyBag, rules: DiffRules): DetailedDiffResult {
    const changed = changedKeys(olds, news, rules);
    const replaces = changed.filter((k) => rules.replaceOn.has(k));
    const o = rules.canonical(olds);
    const detailedDiff: Record<string, DiffKind> = {};
    for (const k of changed) {
        // An unknown new value is a value to come, so an update of whatever is stored.
        const kind = stableJson(o[k]) === "null" ? "add" : !containsUnknown(news[k]) && stableJson(news[k]) === "null" ? "delete" : "update";
        detailedDiff[k] = rules.replaceOn.has(k) ? `${kind}-replace` : kind;
    }
    return { changes: changed.length > 0, replaces, diffs: changed, detailedDiff };
}
