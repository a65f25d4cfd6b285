// Secrets a tenant's env refers to by name (tenants.yaml `secretEnv`), kept in the stack's encrypted config
// under dormer:tenantSecrets, one map per tenant: `dormer secret set acme api-token` writes
// tenantSecrets.acme.api-token. Shared by the CLI (which reads only the names, from the committed stack
// file) and the program (which gets the values), so it must not import @pulumi/*.
import type { TenantSpec } from "./tenants-file";

/** The stack config key (in the `dormer` namespace) that holds every tenant's secrets. */
export const TENANT_SECRETS_KEY = "tenantSecrets";

/** A secret's name: it becomes a config path segment, so no dots; short enough to read in a list. */
export const SECRET_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const SECRET_NAME_RULE = 'must be up to 63 lowercase letters, digits and "-", starting with a letter';

/** Tenant id -> the names of the secrets the stack holds for it. */
export type StoredSecretNames = Record<string, string[]>;

export class TenantSecretsError extends Error {
  constructor(
    readonly stack: string,
    readonly problems: string[],
  ) {
    const count = problems.length === 1 ? "1 secret is" : `${problems.length} secrets are`;
    super(`${count} not set on stack ${stack}\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "TenantSecretsError";
  }
}

/**
 * The names under dormer:tenantSecrets, as the committed stack file (`{secure: …}` leaves) or the decrypted
 * config (plain leaves) holds them; only the keys are read.
 */
export function storedSecretNames(value: unknown): StoredSecretNames {
  if (typeof value !== "object" || value === null) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([tenant, secrets]) => [
      tenant,
      typeof secrets === "object" && secrets !== null ? Object.keys(secrets) : [],
    ]),
  );
}

/** One line per referenced secret the stack does not hold, naming the tenant, the variable and the fix. */
export function missingSecrets(tenants: readonly TenantSpec[], stored: StoredSecretNames, stack: string): string[] {
  return tenants.flatMap((t) =>
    Object.entries(t.secretEnv)
      .filter(([, name]) => !(stored[t.id] ?? []).includes(name))
      .map(([variable, name]) => `${t.id}: secretEnv.${variable}: secret "${name}" is not set (dormer secret set ${t.id} ${name} --stack ${stack})`),
  );
}

/** Throws when any tenant refers to a secret the stack does not hold. */
export function checkSecretsSet(tenants: readonly TenantSpec[], stored: StoredSecretNames, stack: string): void {
  const problems = missingSecrets(tenants, stored, stack);
  if (problems.length > 0) throw new TenantSecretsError(stack, problems);
}
