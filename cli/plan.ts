import { EngineEvent, StepEventMetadata } from "@pulumi/pulumi/automation";
import { maskedEnvs } from "./env-values";
import { masked, valueAtPath } from "./values";

/** How one property differs, in the engine's words (PropertyDiff.diffKind). */
export type ChangeKind = "add" | "add-replace" | "delete" | "delete-replace" | "update" | "update-replace";

export interface PropertyChange {
  /** A top-level input (`memory`) or a path into one (`envs[2]`, `labels[0].value`), as the provider reported it. */
  property: string;
  kind: ChangeKind;
  /** True when this change alone replaces the resource. */
  replaces: boolean;
  /** Absent when added; "[secret]" when either side is a secret. */
  from?: unknown;
  /** Absent when deleted; "[secret]" when either side is a secret. */
  to?: unknown;
}

/** One planned change, as CI shows it in a pull request: what, which resource, which properties from → to. */
export interface PlannedStep {
  op: string;
  urn: string;
  type: string;
  name: string;
  /** The tenant this resource belongs to (its `dormer:index:Tenant` parent), absent for the platform's own. */
  tenant?: string;
  /** The properties that force a replacement, as the engine lists them. */
  replaceKeys: string[];
  changes: PropertyChange[];
  /** Whether the resource is kept in Docker when the engine deletes it (tenant volumes). */
  retainOnDelete: boolean;
}

/** The steps the engine takes on the way to a replacement; the logical `replace` step already says it all. */
const INTERNAL_OPS = new Set(["same", "create-replacement", "delete-replaced", "discard-replaced", "read-replacement"]);
const TENANT_TYPE = "dormer:index:Tenant";

/** The resource name at the end of a URN. */
export function nameOf(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

function typeOfUrn(urn: string): string {
  const types = urn.split("::")[2] ?? "";
  return types.split("$").pop() ?? types;
}

/** The Tenant a resource sits under: its own URN when it is one, or its parent's. */
function tenantOf(meta: StepEventMetadata): string | undefined {
  if (meta.type === TENANT_TYPE) return nameOf(meta.urn);
  const parent = meta.new?.parent || meta.old?.parent;
  return parent && typeOfUrn(parent) === TENANT_TYPE ? nameOf(parent) : undefined;
}

function isReplaceKind(kind: ChangeKind): boolean {
  return kind.endsWith("-replace");
}

/**
 * The engine's picture of each changed property. A provider's detailed diff is the most precise; without
 * one, the changed keys; without those, the inputs compared key by key, which is what the engine's own
 * display falls back to.
 */
function changesOf(meta: StepEventMetadata): PropertyChange[] {
  const olds = meta.old?.inputs;
  const news = meta.new?.inputs;
  const replaceKeys = new Set(meta.keys ?? []);
  let entries: [string, ChangeKind][];
  if (meta.detailedDiff && Object.keys(meta.detailedDiff).length > 0) {
    entries = Object.entries(meta.detailedDiff).map(([path, d]) => [path, d.diffKind as ChangeKind]);
  } else {
    const keys =
      meta.diffs && meta.diffs.length > 0
        ? meta.diffs
        : [...new Set([...Object.keys(olds ?? {}), ...Object.keys(news ?? {})])].filter(
            (k) => !k.startsWith("__") && JSON.stringify(olds?.[k]) !== JSON.stringify(news?.[k]),
          );
    entries = keys.map((k) => {
      const base = olds?.[k] === undefined ? "add" : news?.[k] === undefined ? "delete" : "update";
      return [k, (replaceKeys.has(k) ? `${base}-replace` : base) as ChangeKind];
    });
  }
  return entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([property, kind]) => {
      const [from, to] = masked(maskedEnvs(property, valueAtPath(olds, property)), maskedEnvs(property, valueAtPath(news, property)));
      return {
        property,
        kind,
        replaces: isReplaceKind(kind) || replaceKeys.has(property),
        ...(kind.startsWith("add") ? {} : { from }),
        ...(kind.startsWith("delete") ? {} : { to }),
      };
    });
}

/** A created resource's inputs, each one added (secrets masked). */
function additions(meta: StepEventMetadata): PropertyChange[] {
  const news = meta.new?.inputs ?? {};
  return Object.keys(news)
    .filter((k) => !k.startsWith("__"))
    .sort()
    .map((property) => ({ property, kind: "add" as const, replaces: false, to: masked(undefined, maskedEnvs(property, news[property]))[1] }));
}

/** A step as a reviewer reads it; none for the engine's internal ones, the stack's and the providers'. */
export function plannedStep(meta: StepEventMetadata): PlannedStep | undefined {
  if (INTERNAL_OPS.has(meta.op) || meta.type === "pulumi:pulumi:Stack") return undefined;
  if (meta.type.startsWith("pulumi:providers:")) return undefined;
  const tenant = tenantOf(meta);
  return {
    op: meta.op,
    urn: meta.urn,
    type: meta.type,
    name: nameOf(meta.urn),
    ...(tenant ? { tenant } : {}),
    replaceKeys: [...(meta.keys ?? [])].sort(),
    changes: meta.op === "update" || meta.op === "replace" ? changesOf(meta) : meta.op === "create" ? additions(meta) : [],
    retainOnDelete: meta.old?.retainOnDelete === true,
  };
}

/** One policy finding from the engine's analyzer run. */
export interface PolicyFinding {
  policyPack: string;
  policy: string;
  level: "advisory" | "mandatory";
  message: string;
  urn?: string;
  /** The tenant the resource belongs to, when the engine also planned a step for it. */
  tenant?: string;
}

/** Collects the engine's step and policy events of a preview or update into what a reviewer reads. */
export class PlanCollector {
  readonly steps: PlannedStep[] = [];
  readonly policy: PolicyFinding[] = [];
  /** Tenant of every resource the engine looked at, changed or not, so a policy finding can name it. */
  private readonly tenantByUrn = new Map<string, string>();
  summary?: Record<string, number>;

  readonly onEvent = (event: EngineEvent): void => {
    if (event.policyEvent) {
      const p = event.policyEvent;
      this.policy.push({
        policyPack: p.policyPackName,
        policy: p.policyName,
        level: p.enforcementLevel === "mandatory" ? "mandatory" : "advisory",
        message: p.message.trim(),
        ...(p.resourceUrn ? { urn: p.resourceUrn } : {}),
      });
    }
    if (event.summaryEvent) this.summary = event.summaryEvent.resourceChanges as Record<string, number>;
    const meta = event.resourcePreEvent?.metadata;
    if (!meta) return;
    const tenant = tenantOf(meta);
    if (tenant) this.tenantByUrn.set(meta.urn, tenant);
    const step = plannedStep(meta);
    if (step) this.steps.push(step);
  };

  /** Policy findings with the tenant of their resource filled in. */
  findings(): PolicyFinding[] {
    return this.policy.map((f) => {
      const tenant = f.urn ? this.tenantByUrn.get(f.urn) : undefined;
      return tenant ? { ...f, tenant } : f;
    });
  }

  /** Counts per operation: the engine's summary when the run got that far, else counted from the steps. */
  counts(): Record<string, number> {
    if (this.summary) return { ...this.summary };
    const counts: Record<string, number> = {};
    for (const s of this.steps) counts[s.op] = (counts[s.op] ?? 0) + 1;
    return counts;
  }
}
