import { credentialReason } from "../policy/credentials";
import { SECRET } from "./values";
import { TenantSpec } from "../components/tenants-file";

/** `NAME=value` with the value masked when it looks like a credential; anything else as it is. */
function maskEntry(entry: unknown): unknown {
  if (typeof entry !== "string") return entry;
  const eq = entry.indexOf("=");
  if (eq < 0) return entry;
  return credentialReason(entry.slice(0, eq), entry.slice(eq + 1)) === undefined ? entry : `${entry.slice(0, eq)}=${SECRET}`;
}

/**
 * A container's env (`envs`, or one `envs[2]` of it) as a preview may show it: a credential pasted into
 * tenants.yaml is refused by the policy pack, and the refusal must not copy it into a comment or a log.
 */
export function maskedEnvs(property: string, value: unknown): unknown {
  if (property !== "envs" && !property.startsWith("envs[")) return value;
  return Array.isArray(value) ? value.map(maskEntry) : maskEntry(value);
}

/**
 * One line per plain env value that looks like a credential, pointing at secretEnv; the value is never
 * printed. The policy pack refuses the same values at preview: this says so before anyone runs one.
 */
export function plainCredentialWarnings(tenants: readonly TenantSpec[]): string[] {
  return tenants.flatMap((t) =>
    Object.entries(t.env).flatMap(([name, value]) => {
      const reason = credentialReason(name, value);
      if (reason === undefined) return [];
      const secretName = name.toLowerCase().replace(/_/g, "-").replace(/^[^a-z]+/, "").slice(0, 63) || "secret";
      return [
        `${t.id}: env.${name}: looks like a credential (${reason}); tenants.yaml is committed, so keep it in the stack's secrets: ` +
          `dormer secret set ${t.id} ${secretName} < file, then secretEnv: {${name}: ${secretName}} instead of env`,
      ];
    }),
  );
}
