/**
 * Which tenants a preview or up must look at. A tenant whose recorded fingerprint (components/fingerprint.ts)
 * equals the one it would get now has nothing to change: the program leaves it out and the engine is told
 * to exclude every resource of it, which keeps them as they are (Pulumi's --exclude), instead of checking
 * and diffing six resources a tenant, a thousand tenants long. Anything the fingerprint cannot vouch for
 * makes the run a full one.
 */

/** A resource as `pulumi stack export` lists it: the parts this decision reads. */
export interface StateResource {
  urn: string;
  type: string;
  parent?: string;
  outputs?: Record<string, unknown>;
}

export interface ScopeInput {
  resources: StateResource[];
  /** Operations the last run left unfinished (the export's pending_operations). */
  pendingOperations: number;
  /** The kind of the stack's last operation (update, refresh, ...); undefined when it has none. */
  lastOperation?: string;
  /** Each tenant of the file -> the fingerprint it would record now. */
  wanted: Map<string, string>;
  /** The stack's last tenantKeys output: a tenant left out keeps its key there. */
  previousKeys: Record<string, string>;
  /** Tenants this run must declare whatever their fingerprint (rotate-key's tenant). */
  forced: ReadonlySet<string>;
  /** `--full`: every tenant, always. */
  full: boolean;
  /**
   * A batch of a large up (cli/commands/up.ts): declare exactly these tenants and leave every other one as it
   * is, changed or not; those not created yet wait for their batch.
   */
  only?: ReadonlySet<string>;
}

export type Scope =
  | { kind: "full"; reason: string }
  | {
      kind: "partial";
      /** Tenants the program declares: changed, new, forced. Tenants of the state not in the file are removed as ever. */
      declared: Set<string>;
      /** Tenants left out, unchanged. */
      unchanged: string[];
      /** Tenants of the state no longer in the file: the run removes them, as a full one would. */
      removed: string[];
      /** A batch's tenants of the file that do not exist yet and are not in the batch: left for a later one. */
      deferred: string[];
      /** Every resource URN of the unchanged tenants. */
      exclude: string[];
    };

const TENANT_TYPES = new Set(["dormer:index:Tenant", "dormer:swarm:Tenant"]);
const PLATFORM_TYPE = "dormer:index:Platform";
/** A tenant with its own image: the image is the Platform's child `<id>-image` (components/platform.ts). */
const REMOTE_IMAGE_TYPE = "docker:index/remoteImage:RemoteImage";
/**
 * The engine gets one `--exclude URN` argument per resource; past this many bytes of them (about 1 500
 * tenants) a run is a full one rather than risk the system's limit on a command line.
 */
export const MAX_EXCLUDE_BYTES = 1_000_000;

function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Why no fingerprint can be trusted for this run, if so. A batch (`only`) was chosen by a scope that asked. */
function untrusted(input: ScopeInput): string | undefined {
  if (input.only !== undefined) return undefined;
  if (input.full) return "--full";
  if (input.resources.length === 0) return "the stack has no resources yet";
  if (input.pendingOperations > 0) return `the last run left ${input.pendingOperations} operation(s) unfinished`;
  if (input.lastOperation !== undefined && input.lastOperation !== "update") {
    return `the stack's last operation was a ${input.lastOperation}, which may have changed what it records`;
  }
  return undefined;
}

export function chooseScope(input: ScopeInput): Scope {
  const reason = untrusted(input);
  if (reason !== undefined) return { kind: "full", reason };
  const byUrn = new Map(input.resources.map((r) => [r.urn, r]));
  const children = new Map<string, StateResource[]>();
  for (const r of input.resources) {
    if (r.parent === undefined) continue;
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  const components = new Map<string, StateResource>();
  const ownImages = new Map<string, StateResource>();
  for (const r of input.resources) {
    if (TENANT_TYPES.has(r.type)) components.set(nameOf(r.urn), r);
    if (r.type === REMOTE_IMAGE_TYPE && byUrn.get(r.parent ?? "")?.type === PLATFORM_TYPE) ownImages.set(nameOf(r.urn), r);
  }

  const unchanged: string[] = [];
  const exclude: string[] = [];
  const deferred: string[] = [];
  const { only } = input;
  for (const [id, fingerprint] of input.wanted) {
    const component = components.get(id);
    if (only?.has(id) || input.forced.has(id)) continue;
    if (!component) {
      if (only) deferred.push(id);
      continue;
    }
    if (!only && component.outputs?.fingerprint !== fingerprint) continue;
    // Left out, it keeps its key in the outputs only if the last outputs have it; else it is declared.
    if (input.previousKeys[id] === undefined) continue;
    unchanged.push(id);
    const stack = [component];
    while (stack.length) {
      const r = stack.pop()!;
      exclude.push(r.urn);
      stack.push(...(children.get(r.urn) ?? []));
    }
    const own = ownImages.get(`${id}-image`);
    if (own) exclude.push(own.urn);
  }
  if (!only && unchanged.length === 0) return { kind: "full", reason: "no tenant is recorded as applied unchanged" };
  const bytes = exclude.reduce((sum, urn) => sum + urn.length + 12, 0);
  if (bytes > MAX_EXCLUDE_BYTES) return { kind: "full", reason: `the ${unchanged.length} tenants left out are too many to exclude on one command line` };
  const left = new Set(unchanged);
  const waiting = new Set(deferred);
  const declared = new Set([...input.wanted.keys()].filter((id) => !left.has(id) && !waiting.has(id)));
  const removed = [...components.keys()].filter((id) => !input.wanted.has(id));
  return { kind: "partial", declared, unchanged, removed, deferred, exclude };
}

/** One line for the operator: what this run looks at, and how to make it look at everything. */
export function scopeLine(scope: Scope, total: number): string {
  if (scope.kind === "full") return `every tenant (${total}) is part of this run: ${scope.reason}`;
  const named = (ids: string[]) => (ids.length === 0 ? "none" : ids.length <= 10 ? ids.join(", ") : `${ids.slice(0, 10).join(", ")} and ${ids.length - 10} more`);
  const removed = scope.removed.length ? `; removed: ${named(scope.removed)}` : "";
  return `${scope.unchanged.length} of ${total} tenants are unchanged since they were applied and left out of this run (--full includes them); changed or new: ${named([...scope.declared])}${removed}`;
}
