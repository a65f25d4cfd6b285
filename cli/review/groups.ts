import { PlannedStep } from "../plan";

/** The steps of one tenant, or of the platform (gateway, supervisor, Redis, tunnel, shared networks). */
export interface StepGroup {
  /** Tenant id; undefined for the platform. */
  tenant?: string;
  steps: PlannedStep[];
}

const TENANT_TYPE = "dormer:index:Tenant";

/** Steps grouped by the Tenant component in their URN, tenants in id order, the platform apart. */
export function groupSteps(steps: readonly PlannedStep[]): { tenants: StepGroup[]; platform: StepGroup } {
  const byTenant = new Map<string, PlannedStep[]>();
  const platform: PlannedStep[] = [];
  for (const step of steps) {
    if (step.tenant === undefined) {
      // The components themselves change nothing in Docker; their children say what happens.
      if (step.type !== "dormer:index:Platform") platform.push(step);
      continue;
    }
    byTenant.set(step.tenant, [...(byTenant.get(step.tenant) ?? []), step]);
  }
  const tenants = [...byTenant.keys()].sort().map((tenant) => ({ tenant, steps: byTenant.get(tenant) ?? [] }));
  return { tenants, platform: { steps: platform } };
}

/** The tenant leaves tenants.yaml: its component is deleted. */
export function isRemoval(group: StepGroup): boolean {
  return group.steps.some((s) => s.type === TENANT_TYPE && s.op === "delete");
}

/** The tenant is new in tenants.yaml: its component is created. */
export function isAddition(group: StepGroup): boolean {
  return group.steps.some((s) => s.type === TENANT_TYPE && s.op === "create");
}

/** Docker steps only: the Tenant component's own step adds nothing a reviewer acts on. */
export function resourceSteps(group: StepGroup): PlannedStep[] {
  return group.steps.filter((s) => s.type !== TENANT_TYPE);
}

const KINDS: Record<string, string> = {
  "docker:index/container:Container": "container",
  "docker:index/network:Network": "network",
  "docker:index/volume:Volume": "volume",
  "docker:index/image:Image": "image",
  "docker:index/remoteImage:RemoteImage": "base image",
  "random:index/randomPassword:RandomPassword": "secret",
  "random:index/randomBytes:RandomBytes": "secret",
  "random:index/randomId:RandomId": "id",
};

/** "container `globex`": what a person calls the resource. */
export function resourceLabel(step: PlannedStep): string {
  const kind = KINDS[step.type] ?? step.type.split(":").pop() ?? step.type;
  return `${kind} \`${step.name}\``;
}
