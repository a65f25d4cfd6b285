import { asSet } from "../common/diff";

/** The `[{label, value}]` list the SDK uses for labels on networks, volumes and containers. */
export interface Label {
    label: string;
    value: string;
}

export function labelsToMap(labels: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of (labels as Label[] | undefined) ?? []) {
        out[l.label] = l.value;
    }
    return out;
}

export function mapToLabels(map: Record<string, string> | null | undefined): Label[] | undefined {
    const entries = Object.entries(map ?? {});
    return entries.length === 0 ? undefined : asSet(entries.map(([label, value]) => ({ label, value })));
}

export const labelSpec = { list: { label: "string", value: "string" } } as const;
