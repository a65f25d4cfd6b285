/** Signature key the engine marks a secret value with, when one reaches an event unmasked. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
/** What the engine itself prints in place of a secret in its events. */
export const SECRET = "[secret]";

/** How the engine writes a value not known until the resource it comes from exists. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function containsSecret(v: unknown): boolean {
  if (v === SECRET) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (isRecord(v)) return SECRET_SIG_KEY in v || Object.values(v).some(containsSecret);
  return false;
}

/**
 * An old and a new value as a reviewer may see them. When either side holds a secret, both sides are
 * masked: the old plain value of something now made secret is exactly what must not leak
 * (pulumi/pulumi#4957), and a secret made plain reveals nothing more than its new value.
 */
export function masked(from: unknown, to: unknown): [unknown, unknown] {
  if (containsSecret(from) || containsSecret(to)) {
    return [from === undefined ? undefined : SECRET, to === undefined ? undefined : SECRET];
  }
  return [from, to];
}

/** Splits `labels[0].value` or `envs["a.b"]` into ["labels", 0, "value"] / ["envs", "a.b"]. */
export function parsePath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) parts.push(m[1]);
    else if (m[2] !== undefined) parts.push(Number(m[2]));
    else parts.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return parts;
}

/** The value at a provider's property path inside a resource's inputs; undefined when absent. */
export function valueAtPath(inputs: Record<string, unknown> | undefined, path: string): unknown {
  let at: unknown = inputs;
  for (const part of parsePath(path)) {
    // Inside a secret is still the secret.
    if (at === SECRET || (isRecord(at) && SECRET_SIG_KEY in at)) return SECRET;
    if (typeof part === "number" ? !Array.isArray(at) : !isRecord(at)) return undefined;
    at = (at as Record<string | number, unknown>)[part];
  }
  return at;
}
