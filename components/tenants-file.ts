// Loads tenants.yaml and reports every problem in one pass. Shared by the Pulumi program, the CLI and the
// runtime, so it must not import @pulumi/*.
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { Member, Plan, TenantId, TenantSchema, TenantsFileSchema } from "./tenants-schema";

export type { Plan } from "./tenants-schema";

/** A tenant with its plan already applied: components read `limits`, never the plan. */
export interface TenantSpec {
  id: string;
  displayName: string;
  /** The plan's name, for display; its values are already in `limits`. */
  plan: string;
  /** The plan's values with the tenant's overrides on top. */
  limits: Plan;
  /** Undefined means the project's default tenant app. */
  image: string | undefined;
  /** Only a tenant with its own image can have a writable one. */
  rootFilesystem: "read-only" | "writable";
  env: Record<string, string>;
  /** Variable -> the name of the stack secret (dormer:tenantSecrets.<id>.<name>) that holds its value. */
  secretEnv: Record<string, string>;
  /** Lowercased emails (`alice@acme.com`) and domains (`@acme.com`); no person matches two tenants. */
  members: string[];
  /** Lowercased host names of the tenant's own; no two tenants share one. */
  hostnames: string[];
  ports: number[];
  /** Swarm stacks: the node the tenant is placed on (undefined: the stack's dormer:swarmNode). */
  node?: string;
}

export interface ValidatedTenants {
  plans: Record<string, Plan>;
  tenants: TenantSpec[];
}

export class TenantsFileError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`${source}: ${count}\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "TenantsFileError";
  }
}

export function loadTenantsFile(path: string): ValidatedTenants {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new TenantsFileError(path, [`${path}: cannot read: ${(err as Error).message}`]);
  }
  return parseTenantsFile(text, path);
}

export function parseTenantsFile(text: string, source = "tenants.yaml"): ValidatedTenants {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new TenantsFileError(
      source,
      doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return `${source}: line ${line}, column ${col}: ${e.message}`;
      }),
    );
  }
  const raw: unknown = doc.toJS();
  const parsed = TenantsFileSchema.safeParse(raw, { error: messageFor });
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((issue) => describe(issue, raw, source))),
    ...crossCheck(raw),
  ];
  if (!parsed.success || problems.length > 0) throw new TenantsFileError(source, sortByLocation(problems));
  const { plans, tenants } = parsed.data;
  const ladder = sleepLadderProblems(plans, tenants, raw);
  if (ladder.length > 0) throw new TenantsFileError(source, sortByLocation(ladder));
  return {
    plans,
    tenants: tenants.map((t) => ({
      id: t.id,
      displayName: t.displayName ?? t.id,
      plan: t.plan,
      limits: resolved(plans, t),
      image: t.image,
      rootFilesystem: t.rootFilesystem ?? "read-only",
      env: t.env,
      secretEnv: t.secretEnv,
      members: t.members,
      hostnames: t.hostnames,
      ports: t.ports,
      ...(t.node === undefined ? {} : { node: t.node }),
    })),
  };
}

type ParsedTenant = z.output<typeof TenantsFileSchema>["tenants"][number];

function resolved(plans: Record<string, Plan>, t: ParsedTenant): Plan {
  return { ...plans[t.plan]!, ...t.limits };
}

/**
 * The light sleep must come before the deep one, on the limits as resolved: a plan can break it alone, or
 * a tenant by overriding either side. Each is reported where it was written.
 */
function sleepLadderProblems(plans: Record<string, Plan>, tenants: ParsedTenant[], raw: unknown): Problem[] {
  const broken = (l: Plan) => l.lightSleepAfterMinutes !== undefined && l.lightSleepAfterMinutes >= l.idleTimeoutMinutes;
  const rule = (l: Plan) => `must be below idleTimeoutMinutes (${l.idleTimeoutMinutes}), got ${l.lightSleepAfterMinutes}: the light sleep comes before the deep one`;
  const out: Problem[] = Object.entries(plans)
    .filter(([, plan]) => broken(plan))
    .map(([name, plan]) => ({ text: join(`plans.${name}`, "lightSleepAfterMinutes", rule(plan)) }));
  tenants.forEach((t, index) => {
    const limits = resolved(plans, t);
    if (!broken(limits) || broken(plans[t.plan]!)) return;
    const field = t.limits?.lightSleepAfterMinutes !== undefined ? "limits.lightSleepAfterMinutes" : `lightSleepAfterMinutes (from plan ${t.plan})`;
    out.push({ tenant: index, text: join(tenantLabel(raw, index), field, rule(limits)) });
  });
  return out;
}

/**
 * Zod's own messages name types and operators; operators need "must be at least 128". Covers the checks the
 * schema uses (strings only ever have a minimum of 1); messages set in the schema take precedence.
 */
function messageFor(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      // zod reports "expected number" for a string given to an int field; the field's rule is more useful.
      if (issue.inst instanceof z.ZodNumber && issue.inst.isInt) return "must be a whole number";
      return `must be ${TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`}`;
    case "too_small":
      if (issue.origin === "string") return "must not be empty";
      return `must be at least ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      return `must be at most ${issue.maximum}`;
    case "invalid_value": {
      const values = issue.values.map((v) => JSON.stringify(v));
      return values.length === 1 ? `must be ${values[0]}` : `must be one of: ${values.join(", ")}`;
    }
    case "invalid_key":
      return issue.issues[0]?.message;
    default:
      return undefined;
  }
}

const TYPE_NAMES: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  boolean: "true or false",
  string: "a string",
  object: "a mapping",
  record: "a mapping",
  array: "a list",
};

interface Problem {
  /** Index of the tenant the problem is about; file-level and plan problems have none and come first. */
  tenant?: number;
  text: string;
}

function describe(issue: z.core.$ZodIssue, raw: unknown, source: string): Problem[] {
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(issue.path);
    return issue.keys.map((key) => {
      const hint = closest(key, known);
      return problem([...issue.path, key], raw, source, `unknown key${hint ? ` (did you mean "${hint}"?)` : ""}`);
    });
  }
  return [problem(issue.path, raw, source, issue.message)];
}

/** `tenants[3] (acme): limits.memoryMb: msg`, `plans.free: cpus: msg`, `version: msg`. */
function problem(path: PropertyKey[], raw: unknown, source: string, message: string): Problem {
  const [section, key, ...rest] = path;
  if (section === "tenants" && typeof key === "number") {
    return { tenant: key, text: join(tenantLabel(raw, key), fieldPath(rest), message) };
  }
  if (section === "plans" && key !== undefined) return { text: join(`plans.${String(key)}`, fieldPath(rest), message) };
  return { text: join(path.length === 0 ? source : "", fieldPath(path), message) };
}

function join(...parts: string[]): string {
  return parts.filter((p) => p !== "").join(": ");
}

function tenantLabel(raw: unknown, index: number): string {
  const id = field(field(field(raw, "tenants"), index), "id");
  return typeof id === "string" ? `tenants[${index}] (${id})` : `tenants[${index}]`;
}

function fieldPath(path: PropertyKey[]): string {
  return path.map((seg, i) => (typeof seg === "number" ? `[${seg}]` : `${i === 0 ? "" : "."}${String(seg)}`)).join("");
}

function field(value: unknown, key: string | number): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string | number, unknown>)[key] : undefined;
}

/**
 * The keys allowed in the object at `path`, found by walking the schema the same way zod did, plus the keys
 * of its object fields ("limits.memoryMb") because a limit written at the tenant's top level is a common slip.
 */
function knownKeys(path: PropertyKey[]): string[] {
  const object = objectAt(TenantsFileSchema, path);
  if (!object) return [];
  const keys = Object.keys(object.shape);
  const nested = keys.flatMap((k) => Object.keys(objectAt(object, [k])?.shape ?? {}).map((child) => `${k}.${child}`));
  return [...keys, ...nested];
}

function objectAt(root: z.core.$ZodType, path: PropertyKey[]): z.ZodObject | undefined {
  let schema = root;
  for (const seg of [...path, null]) {
    while (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) schema = schema.unwrap();
    if (seg === null) break;
    if (schema instanceof z.ZodObject) schema = schema.shape[String(seg)];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType;
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else return undefined;
  }
  return schema instanceof z.ZodObject ? schema : undefined;
}

/**
 * A cheap did-you-mean: the known key whose last segment starts with the typo ("memory" -> "memoryMb") or is
 * a few edits away (one per three letters, at most two, so "ab" does not suggest "id"). Direct keys win ties
 * over nested ones because they are listed first.
 */
function closest(typo: string, known: string[]): string | undefined {
  const t = typo.toLowerCase();
  const score = (key: string) => {
    const k = key.slice(key.lastIndexOf(".") + 1).toLowerCase();
    return t.length >= 3 && k.startsWith(t) ? 0 : distance(t, k);
  };
  const allowed = Math.min(2, Math.max(1, Math.floor(t.length / 3)));
  const scored = known.map((key) => ({ key, d: score(key) })).filter(({ d }) => d <= allowed);
  return scored.sort((a, b) => a.d - b.d)[0]?.key;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Checks across tenants. Each field is read on its own, so a tenant with one bad field still takes part:
 * a typo in acme's memory must not hide that globex reuses acme's id.
 */
function crossCheck(raw: unknown): Problem[] {
  const tenants = field(raw, "tenants");
  if (!Array.isArray(tenants)) return [];
  const out: Problem[] = [];
  const report = (index: number) => (message: string) =>
    out.push({ tenant: index, text: join(tenantLabel(raw, index), message) });
  const plans = PlanNames.safeParse(field(raw, "plans"));
  const ids = new Map<string, number>();
  const members = new MemberClaims((index) => tenantLabel(raw, index));
  const hostnames = new Map<string, number>();
  tenants.forEach((tenant: unknown, index) => {
    const id = TenantId.safeParse(field(tenant, "id"));
    if (id.success) {
      const first = ids.get(id.data);
      if (first === undefined) ids.set(id.data, index);
      else report(index)(`id: already used by tenants[${first}]`);
    }
    const plan = TenantSchema.shape.plan.safeParse(field(tenant, "plan"));
    if (plan.success && plans.success && !plans.data.includes(plan.data)) {
      report(index)(`plan: unknown plan "${plan.data}" (${planHelp(plan.data, plans.data)})`);
    }
    const list = field(tenant, "members");
    if (Array.isArray(list)) members.claim(index, list, report(index));
    const names = field(tenant, "hostnames");
    if (Array.isArray(names)) {
      names.forEach((name: unknown, k) => {
        const host = TenantSchema.shape.hostnames.unwrap().element.safeParse(name);
        if (!host.success) return;
        const owner = hostnames.get(host.data);
        if (owner === undefined) hostnames.set(host.data, index);
        else if (owner !== index) report(index)(`hostnames[${k}]: ${host.data} is already a host name of ${tenantLabel(raw, owner)}`);
      });
    }
    const env = field(tenant, "env");
    const secretEnv = field(tenant, "secretEnv");
    if (typeof env === "object" && env !== null && typeof secretEnv === "object" && secretEnv !== null) {
      for (const name of Object.keys(secretEnv).filter((k) => k in env)) {
        report(index)(`secretEnv.${name}: also set in env; a variable comes from one of them`);
      }
    }
    if (field(tenant, "rootFilesystem") === "writable" && field(tenant, "image") === undefined) {
      report(index)('rootFilesystem: "writable" needs the tenant\'s own image (the default app always runs read-only)');
    }
  });
  return out;
}

// Only the names matter for "unknown plan"; a plan with a bad value is still a plan.
const PlanNames = z.record(z.string(), z.unknown()).transform((plans) => Object.keys(plans));

function planHelp(name: string, plans: string[]): string {
  const hint = closest(name, plans);
  if (hint) return `did you mean "${hint}"?`;
  return plans.length > 0 ? `plans: ${plans.join(", ")}` : "no plans defined";
}

/**
 * Every person must map to at most one tenant, or signing in would be ambiguous: an address or domain may
 * be claimed once, and an address may not sit in a domain another tenant claims.
 */
class MemberClaims {
  private readonly owners = new Map<string, number>(); // email or @domain -> tenant index
  private readonly emailsByDomain = new Map<string, { email: string; tenant: number }>();

  constructor(private readonly label: (tenant: number) => string) {}

  claim(tenant: number, list: unknown[], report: (message: string) => void): void {
    const valid = list.map((m) => Member.safeParse(m)).map((r) => (r.success ? r.data : undefined));
    valid.forEach((member, k) => {
      if (member !== undefined) {
        const conflict = this.conflict(member);
        if (conflict) report(`members[${k}]: ${member} ${conflict}`);
      }
    });
    // Recorded after the whole list, so a tenant never conflicts with itself (acme may list @acme.com and
    // ceo@acme.com).
    for (const member of valid) {
      if (member === undefined || this.owners.has(member)) continue;
      this.owners.set(member, tenant);
      const domain = domainOf(member);
      if (!member.startsWith("@") && !this.emailsByDomain.has(domain)) {
        this.emailsByDomain.set(domain, { email: member, tenant });
      }
    }
  }

  private conflict(member: string): string | undefined {
    const owner = this.owners.get(member);
    if (owner !== undefined) return `is already a member of ${this.label(owner)}`;
    if (member.startsWith("@")) {
      const covered = this.emailsByDomain.get(member);
      return covered && `covers ${covered.email}, a member of ${this.label(covered.tenant)}`;
    }
    const domain = domainOf(member);
    const domainOwner = this.owners.get(domain);
    return domainOwner === undefined ? undefined : `is already covered by ${domain} in ${this.label(domainOwner)}`;
  }
}

function domainOf(email: string): string {
  return email.slice(email.indexOf("@"));
}

/** File order: top-level and plans first, then tenant by tenant; sort is stable within each. */
function sortByLocation(problems: Problem[]): string[] {
  return problems.sort((a, b) => (a.tenant ?? -1) - (b.tenant ?? -1)).map((p) => p.text);
}
