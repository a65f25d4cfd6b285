import { strict as assert } from "assert";
import { maskedEnvs, plainCredentialWarnings } from "../../cli/env-values";
import { parseTenantsFile } from "../../components/tenants-file";

describe("a preview's view of a container's env", () => {
  it("masks the value of every entry that looks like a credential, by name or by form", () => {
    const envs = ["REPORT_TITLE=Acme files", "STRIPE_API_KEY=abc", "GREETING=ghp_0123456789abcdefghij0123456789abcdef", "PORT=8080"];
    assert.deepEqual(maskedEnvs("envs", envs), ["REPORT_TITLE=Acme files", "STRIPE_API_KEY=[secret]", "GREETING=[secret]", "PORT=8080"]);
  });

  it("masks one element reported by its path, and leaves other properties alone", () => {
    assert.equal(maskedEnvs("envs[1]", "DB_PASSWORD=hunter2"), "DB_PASSWORD=[secret]");
    assert.equal(maskedEnvs("envs[1]", "MAX_UPLOAD_MB=50"), "MAX_UPLOAD_MB=50");
    assert.equal(maskedEnvs("labels[0].value", "API_KEY=x"), "API_KEY=x");
  });
});

describe("validate's warning about a credential in a tenant's plain env", () => {
  const tenants = parseTenantsFile(
    "version: 1\nplans:\n  free: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 1000 }\n" +
      'tenants:\n  - { id: acme, plan: free, env: { STRIPE_API_KEY: "sk_live_4eC39HqLyjWDarjt", TITLE: "Acme" }, secretEnv: { API_TOKEN: api-token } }\n',
  ).tenants;

  it("names the tenant and variable, points at secretEnv and dormer secret set, and never prints the value", () => {
    const warnings = plainCredentialWarnings(tenants);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^acme: env\.STRIPE_API_KEY: looks like a credential/);
    assert.match(warnings[0]!, /dormer secret set acme stripe-api-key < file, then secretEnv: \{STRIPE_API_KEY: stripe-api-key\}/);
    assert.ok(!warnings[0]!.includes("sk_live"));
  });
});
