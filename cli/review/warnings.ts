import { CONFIG_LABEL_PREFIX } from "../../components/gateway-reload";
import { LABEL } from "../../runtime/engine/labels";
import { PlannedStep } from "../plan";
import { code } from "./cells";
import { isRemoval, resourceLabel, resourceSteps, StepGroup } from "./groups";

const CONTAINER = "docker:index/container:Container";
/** The one-shot container that delivers the gateway's nginx.conf (components/gateway.ts). */
const GATEWAY_CONFIG = "gateway-config";

function keys(step: PlannedStep): string {
  const replacing = step.replaceKeys.length > 0 ? step.replaceKeys : step.changes.filter((c) => c.replaces).map((c) => c.property);
  return replacing.length > 0 ? ` because ${replacing.map((k) => `\`${k}\``).join(", ")} changes` : "";
}

function volumeNames(steps: readonly PlannedStep[]): string[] {
  return steps
    .filter((s) => s.type === "docker:index/volume:Volume" && s.op === "delete" && s.retainOnDelete)
    .map((s) => s.name);
}

/** What removing a tenant does, in plain words. */
function removal(group: StepGroup): string {
  const id = group.tenant ?? "";
  const volumes = volumeNames(group.steps);
  const kept = volumes.length > 0 ? volumes.map((v) => `\`${v}\``).join(", ") : "its volumes";
  return (
    `**${id}** is removed from tenants.yaml: its container, network and access key are deleted and its people can no ` +
    `longer sign in. Its data is kept: ${kept} stay in Docker (list them with ` +
    `\`docker volume ls --filter label=${LABEL.tenant}=${id}\`); declaring \`${id}\` again mounts them again.`
  );
}

/** What replacing some of a tenant's resources does, in plain words. */
function replacement(group: StepGroup, replaced: PlannedStep[]): string {
  const id = group.tenant ?? "";
  const container = replaced.find((s) => s.type === CONTAINER);
  const others = replaced.filter((s) => s !== container).map((s) => `${resourceLabel(s)} is replaced${keys(s)}`);
  const parts: string[] = [];
  if (container) {
    parts.push(
      `its container is replaced${keys(container)}. The new one is created asleep with the same volumes, so no data ` +
        `is lost; if the tenant is awake when this is applied it is stopped, and it is woken again on its next request`,
    );
  }
  parts.push(...others);
  return `**${id}**: ${parts.join("; ")}.`;
}

/** The gateway's settings as its gateway-config container's labels hold them, by setting name. */
function gatewaySettings(labels: unknown): Map<string, string> {
  const list = Array.isArray(labels) ? (labels as { label?: unknown; value?: unknown }[]) : [];
  return new Map(
    list
      .filter((l) => typeof l.label === "string" && l.label.startsWith(CONFIG_LABEL_PREFIX))
      .map((l) => [String(l.label).slice(CONFIG_LABEL_PREFIX.length), String(l.value)]),
  );
}

/**
 * A new gateway-config container is a reload of the running gateway, not an outage: say so, and which
 * settings change (from its labels), so the reviewer never sees a bare "replace".
 */
function gatewayReload(step: PlannedStep): string {
  const labels = step.changes.find((c) => c.property === "labels");
  const before = gatewaySettings(labels?.from);
  const after = gatewaySettings(labels?.to);
  const changed = [...new Set([...before.keys(), ...after.keys()])]
    .filter((k) => before.get(k) !== after.get(k))
    .sort()
    .map((k) => `${code(k)} ${before.has(k) ? code(before.get(k) ?? "") : "(none)"} → ${after.has(k) ? code(after.get(k) ?? "") : "(none)"}`);
  const what = changed.length > 0 ? ` (${changed.join(", ")})` : labels === undefined ? keys(step) : "";
  return (
    `**platform**: the gateway reloads its configuration${what}. nginx checks it and reloads it in the running gateway: ` +
    "no connection is dropped, and a configuration nginx refuses fails the update with nginx's message while the previous one keeps serving."
  );
}

function platformWarning(step: PlannedStep): string {
  if (step.op === "replace" && step.type === CONTAINER && step.name === GATEWAY_CONFIG) return gatewayReload(step);
  if (step.op === "delete") return `**platform**: ${resourceLabel(step)} is deleted.`;
  const outage =
    step.type === CONTAINER ? " Requests through it fail for the few seconds it takes to start again; sleeping tenants are not touched." : "";
  return `**platform**: ${resourceLabel(step)} is replaced${keys(step)}.${outage}`;
}

/** One plain-words line for every tenant or platform resource that a replacement or deletion touches. */
export function warningLines(tenants: readonly StepGroup[], platform: StepGroup): string[] {
  const lines: string[] = [];
  for (const group of tenants) {
    if (isRemoval(group)) {
      lines.push(removal(group));
      continue;
    }
    const steps = resourceSteps(group);
    const replaced = steps.filter((s) => s.op === "replace");
    const deleted = steps.filter((s) => s.op === "delete" && !s.retainOnDelete);
    if (replaced.length > 0) lines.push(replacement(group, replaced));
    for (const s of deleted) lines.push(`**${group.tenant}**: ${resourceLabel(s)} is deleted.`);
  }
  for (const step of platform.steps) {
    if (step.op === "replace" || step.op === "delete") lines.push(platformWarning(step));
  }
  return lines;
}
