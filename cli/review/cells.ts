/** Markdown table cells: values as code, lists as what was removed and what was added. */
import { UNKNOWN } from "../values";

const MAX_CELL = 300;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A list element as one short string: `{label, value}` pairs read as `label=value`. */
function element(v: unknown): string {
  if (isRecord(v) && typeof v.label === "string" && Object.keys(v).length === 2 && "value" in v) {
    return `${v.label}=${String(v.value)}`;
  }
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** One value as inline code that cannot break the table or the page. */
export function code(text: string): string {
  const short = text.length > MAX_CELL ? `${text.slice(0, MAX_CELL)}…` : text;
  const escaped = short.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "&#124;").replace(/\n/g, " ");
  // A run of backticks inside the value needs a longer fence around it.
  const fence = "`".repeat(Math.max(1, ...[...escaped.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  const pad = escaped.startsWith("`") || escaped.endsWith("`") ? " " : "";
  return `${fence}${pad}${escaped}${pad}${fence}`;
}

function scalar(v: unknown): string {
  if (v === undefined) return "";
  if (v === UNKNOWN) return "_known after apply_";
  return code(typeof v === "string" ? v : JSON.stringify(v));
}

/**
 * The from and to cells of one property. Lists (envs, labels, volumes) show only the elements that differ,
 * so a one-label change does not print every label twice.
 */
export function fromTo(from: unknown, to: unknown): [string, string] {
  if (Array.isArray(from) && Array.isArray(to)) {
    const before = from.map(element);
    const after = to.map(element);
    const removed = before.filter((e) => !after.includes(e));
    const added = after.filter((e) => !before.includes(e));
    if (removed.length > 0 || added.length > 0) {
      return [removed.map(code).join("<br>"), added.map(code).join("<br>")];
    }
  }
  return [scalar(from), scalar(to)];
}
