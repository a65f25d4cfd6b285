import { DiagnosticEvent, EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { nameOf, PlannedStep, plannedStep } from "./plan";
import { UNKNOWN } from "./values";

/** The operations a run shows, with the mark the engine's own display gives them. */
const MARKS: Record<string, string> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  read: ">",
  refresh: "~",
  import: "=",
};
const DONE: Record<string, string> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  replace: "replaced",
  read: "read",
  refresh: "refreshed",
  import: "imported",
};

/** The engine's colour directives (`<{%fg 1%}>`), which only its own display interprets. */
const COLOUR_TAGS = /<\{%[^%]*%\}>/g;

function plain(message: string): string {
  return message.replace(COLOUR_TAGS, "");
}

/** `docker:index/container:Container` as the engine's display writes it: `docker:index:Container`. */
export function shortType(type: string): string {
  const m = /^([^:]+):([^:/]+)\/([^:]+):([^:]+)$/.exec(type);
  if (!m) return type;
  const [, pkg, mod, file, name] = m;
  return file.toLowerCase() === name.toLowerCase() ? `${pkg}:${mod}:${name}` : type;
}

export interface DisplayOptions {
  /** A preview shows what would happen; an operation shows what did, as each resource is done. */
  preview: boolean;
  /** Each changed property under its resource (`--diff`). */
  diff: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * What a run did, rendered by the CLI from the engine's events. The engine is asked for its JSON summary
 * instead of its own progress display (cli/stack.ts, `withoutEngineDisplay`): that display keeps a copy of
 * every resource's inputs and outputs until the run ends, half the engine's memory on a stack of a thousand
 * tenants (docs/BENCHMARKS.md), including the ones a scoped run leaves out.
 */
export class EngineDisplay {
  private readonly started = new Map<string, number>();

  constructor(private readonly opts: DisplayOptions) {}

  readonly onEvent = (event: EngineEvent): void => {
    if (event.stdoutEvent) this.opts.out(plain(event.stdoutEvent.message).replace(/\n$/, ""));
    if (event.diagnosticEvent) this.diagnostic(event.diagnosticEvent);
    if (event.policyEvent && event.policyEvent.enforcementLevel !== "mandatory") {
      // Mandatory findings stop the run; the command lists them once it has ended.
      const p = event.policyEvent;
      const on = p.resourceUrn ? `${nameOf(p.resourceUrn)}: ` : "";
      this.opts.out(`policy (advisory) ${p.policyName}: ${on}${plain(p.message).trim()}`);
    }
    const pre = event.resourcePreEvent?.metadata;
    // A preview lists each step as planned; an operation times each one until it is done.
    if (pre && this.opts.preview) this.step(pre, pre.op);
    else if (pre) this.started.set(pre.urn, event.timestamp);
    const post = event.resOutputsEvent?.metadata;
    if (post && !this.opts.preview) {
      const since = this.started.get(post.urn);
      this.started.delete(post.urn);
      this.step(post, DONE[post.op] ?? post.op, since === undefined ? undefined : event.timestamp - since);
    }
    const failed = event.resOpFailedEvent?.metadata;
    if (failed) this.opts.err(`** ${shortType(failed.type)} ${nameOf(failed.urn)} ${failed.op} failed`);
  };

  private diagnostic(d: DiagnosticEvent): void {
    if (d.ephemeral) return;
    const text = plain(d.message).replace(/\n+$/, "");
    if (text === "") return;
    const where = d.urn ? `${nameOf(d.urn)}: ` : "";
    // The SDK's own debug lines (every RPC it makes) arrive as "debug", which the type does not name.
    const severity: string = d.severity;
    if (severity === "error") this.opts.err(`error: ${where}${text}`);
    else if (severity === "warning") this.opts.err(`warning: ${where}${text}`);
    else if (severity === "info" || severity === "info#err") this.opts.out(`${where}${text}`);
  }

  private step(meta: StepEventMetadata, verb: string, seconds?: number): void {
    const shown = plannedStep(meta);
    if (!shown || !(shown.op in MARKS)) return;
    // A refresh that found a resource as it was recorded has nothing to say about it.
    if (shown.op === "refresh" && (meta.diffs ?? []).length === 0) return;
    const took = seconds === undefined ? "" : ` (${Math.max(0, seconds)}s)`;
    this.opts.out(`${MARKS[shown.op].padEnd(2)} ${shortType(shown.type)} ${shown.name} ${verb}${took}${diffNote(meta, shown)}`);
    if (this.opts.diff) for (const line of changeLines(shown)) this.opts.out(line);
  }
}

/** The changed keys, as the engine's display lists them: `[diff: ~memory]`, replacing ones marked. */
function diffNote(meta: StepEventMetadata, step: PlannedStep): string {
  if (step.op !== "update" && step.op !== "replace" && step.op !== "refresh") return "";
  const keys = meta.diffs ?? [];
  if (keys.length === 0) return "";
  const replacing = new Set(step.replaceKeys);
  return ` [diff: ${keys.map((k) => `${replacing.has(k) ? "+-" : "~"}${k}`).join(", ")}]`;
}

/** Longer values are cut: the pull-request comment and `preview --json` carry them whole. */
const MAX_VALUE = 160;

function shown(v: unknown): string {
  if (v === UNKNOWN) return "(known after apply)";
  const text = JSON.stringify(v) ?? "";
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
}

function changeLines(step: PlannedStep): string[] {
  const show = (v: unknown) => (v === undefined ? "" : shown(v));
  return step.changes.map((c) => {
    const mark = c.kind.startsWith("add") ? "+" : c.kind.startsWith("delete") ? "-" : "~";
    const arrow = c.kind.startsWith("update") ? `${show(c.from)} => ${show(c.to)}` : show(c.kind.startsWith("add") ? c.to : c.from);
    return `      ${mark} ${c.property}: ${arrow}${c.replaces ? " (replaces)" : ""}`;
  });
}
