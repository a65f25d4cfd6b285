import { OutputMap } from "@pulumi/pulumi/automation";

const VERBS: Record<string, string> = {
  create: "created",
  update: "updated",
  delete: "deleted",
  replace: "replaced",
  same: "unchanged",
  read: "read",
  refresh: "refreshed",
};

/** One line such as "3 created, 1 updated, 12 unchanged" from the engine's per-operation counts. */
export function changeLine(counts: Record<string, number> | undefined, future = false): string {
  const entries = Object.entries(counts ?? {}).filter(([, n]) => n > 0);
  if (entries.length === 0) return "no resources";
  return entries
    .map(([op, n]) => {
      const verb = VERBS[op] ?? op;
      return future && op !== "same" ? `${n} to be ${verb}` : `${n} ${verb}`;
    })
    .join(", ");
}

/** Outputs as "name: value" lines; secrets stay masked unless asked for. */
export function outputLines(outputs: OutputMap, showSecrets: boolean): string[] {
  return Object.keys(outputs)
    .sort()
    .map((name) => {
      const { value, secret } = outputs[name];
      const shown = secret && !showSecrets ? "[secret]" : typeof value === "string" ? value : JSON.stringify(value);
      return `  ${name}: ${shown}`;
    });
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
