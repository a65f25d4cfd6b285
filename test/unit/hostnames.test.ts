import { strict as assert } from "assert";
import { hostnameProblems } from "../../components/hostnames";
import { parseTenantsFile } from "../../components/tenants-file";

const tenants = (hostnames: string[]) =>
  parseTenantsFile(
    "version: 1\nplans:\n  free: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 1000 }\n" +
      `tenants:\n  - { id: acme, plan: free, hostnames: ${JSON.stringify(hostnames)} }\n`,
  ).tenants;

describe("a tenant's own host names against the stack's names", () => {
  it("accepts names outside the platform's host and deeper than one label under the base domain", () => {
    assert.deepEqual(hostnameProblems(tenants(["files.acme.com", "files.acme.localhost"]), "127.0.0.1", "localhost"), []);
  });

  it("refuses the platform's host, the base domain itself and any tenant's <id>.<base>", () => {
    assert.deepEqual(hostnameProblems(tenants(["dormer.example.com", "tenants.example.net", "globex.tenants.example.net"]), "dormer.example.com", "tenants.example.net"), [
      "acme: hostnames[0]: dormer.example.com is the platform's own host name",
      "acme: hostnames[1]: tenants.example.net is the tenants' base domain",
      'acme: hostnames[2]: globex.tenants.example.net is the origin of tenant "globex" (one label under tenants.example.net); pick a name outside it or deeper',
    ]);
  });
});
