import { EngineEvent } from "@pulumi/pulumi/automation";

/** One planned change, as CI shows it in a pull request: what, which resource, which properties from → to. */
export interface PlannedStep {
  op: string;
  urn: string;
  type: string;
  name: string;
  changes: { property: string; from?: unknown; to?: unknown }[];
}

function valueAt(inputs: Record<string, unknown> | undefined, key: string): unknown {
  const value = inputs?.[key];
  // The engine marks secrets with this signature; a preview diff must never print them.
  if (value && typeof value === "object" && "4dabf18193072939515e22adb298388d" in value) return "[secret]";
  return value;
}

/** Collects the engine's step events of a preview into the changes a reviewer reads. */
export class PlanCollector {
  readonly steps: PlannedStep[] = [];

  readonly onEvent = (event: EngineEvent): void => {
    const meta = event.resourcePreEvent?.metadata;
    if (!meta || meta.op === "same" || meta.type === "pulumi:pulumi:Stack") return;
    if (meta.type.startsWith("pulumi:providers:")) return;
    const diffs = meta.diffs ?? [];
    this.steps.push({
      op: meta.op,
      urn: meta.urn,
      type: meta.type,
      name: meta.urn.split("::").pop() ?? meta.urn,
      changes: diffs.map((property) => ({
        property,
        from: valueAt(meta.old?.inputs, property),
        to: valueAt(meta.new?.inputs, property),
      })),
    });
  };
}
