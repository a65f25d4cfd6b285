// Go duration strings ("1m30s", "500ms") as upstream's healthcheck takes them, to and from the
// nanoseconds the Docker API uses.
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDuration(text: string): number {
    if (text === "0") {
        return 0;
    }
    const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
    let total = 0;
    let consumed = 0;
    while (consumed < text.length) {
        re.lastIndex = consumed;
        const m = re.exec(text);
        if (m === null) {
            throw new Error(`invalid duration "${text}" (expected a Go duration such as "5s" or "1m30s")`);
        }
        total += parseFloat(m[1]) * UNIT_NS[m[2]];
        consumed = re.lastIndex;
    }
    if (text.length === 0) {
        throw new Error('invalid duration "" (expected a Go duration such as "5s")');
    }
    return Math.round(total);
}

/** Shortest exact form: whole hours, minutes or seconds when they fit, else milliseconds or nanoseconds. */
export function formatDuration(ns: number): string {
    for (const [unit, size] of [["h", 3600e9], ["m", 60e9], ["s", 1e9], ["ms", 1e6]] as const) {
        if (ns % size === 0) {
            return `${ns / size}${unit}`;
        }
    }
    return `${ns}ns`;
}
