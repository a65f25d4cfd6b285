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

export function diffInputs(olds: PropertyBag, news: PropertyBag, rules: DiffRules): provider.DiffResult {
    const changed = changedKeys(olds, news, rules);
    const replaces = changed.filter((k) => rules.replaceOn.has(k));
    return { changes: changed.length > 0, replaces };
}
