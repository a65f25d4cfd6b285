import { strict as assert } from "assert";
import { Origins, safeNext } from "../../runtime/http/origins";

describe("origins: which site a Host names", () => {
  const local = new Origins("http://127.0.0.1:8088", "localhost");
  const prod = new Origins("https://dormer.example.com", "tenants.example.net");

  it("a tenant's own host, with or without the port, in any case", () => {
    assert.deepEqual(local.of("acme.localhost:8088"), { kind: "tenant", tenant: "acme" });
    assert.deepEqual(local.of("ACME.localhost"), { kind: "tenant", tenant: "acme" });
    assert.deepEqual(prod.of("acme.tenants.example.net"), { kind: "tenant", tenant: "acme" });
    assert.deepEqual(prod.of("acme.tenants.example.net."), { kind: "tenant", tenant: "acme" });
  });

  it("the platform's host and the loopback names are the platform", () => {
    for (const host of ["127.0.0.1:8088", "localhost:8088", "[::1]:8088", "127.0.0.1"]) assert.deepEqual(local.of(host), { kind: "platform" }, host);
    assert.deepEqual(prod.of("dormer.example.com"), { kind: "platform" });
    assert.deepEqual(prod.of("127.0.0.1:8080"), { kind: "platform" });
  });

  it("anything else is unknown: deeper names, other domains, the bare base, no Host", () => {
    for (const host of ["a.b.localhost", "-x.localhost", "acme.localhost.evil.test", "evil.test", undefined, ""]) {
      assert.deepEqual(local.of(host), { kind: "unknown" }, String(host));
    }
    assert.deepEqual(prod.of("tenants.example.net"), { kind: "unknown" });
    assert.deepEqual(prod.of("acme.example.com"), { kind: "unknown" });
  });

  describe("a tenant's own host names", () => {
    const owners: Record<string, string> = { "files.acme.com": "acme", "files.acme.localhost": "acme" };
    const withHosts = new Origins("http://127.0.0.1:8088", "localhost", (host) => owners[host]);

    it("are that tenant's, named as the host they came by, with or without port and in any case", () => {
      assert.deepEqual(withHosts.of("files.acme.com"), { kind: "tenant", tenant: "acme", ownHost: "files.acme.com" });
      assert.deepEqual(withHosts.of("FILES.acme.localhost:8088"), { kind: "tenant", tenant: "acme", ownHost: "files.acme.localhost" });
      assert.deepEqual(withHosts.of("acme.localhost:8088"), { kind: "tenant", tenant: "acme" });
      assert.deepEqual(withHosts.of("other.acme.com"), { kind: "unknown" });
    });

    it("are where a sign-in returns, on the platform's scheme and port, only for their own tenant", () => {
      assert.equal(withHosts.tenantUrl("acme", "/_dormer/auth/callback?code=x", "files.acme.com"), "http://files.acme.com:8088/_dormer/auth/callback?code=x");
      assert.equal(withHosts.ownHostOf("acme", "files.acme.com"), "files.acme.com");
      assert.equal(withHosts.ownHostOf("globex", "files.acme.com"), undefined);
      assert.equal(withHosts.ownHostOf("acme", "evil.test"), undefined);
      assert.equal(withHosts.ownHostOf("acme", ["files.acme.com"]), undefined);
    });
  });

  it("builds tenant and platform URLs on the platform's scheme and port", () => {
    assert.equal(local.tenantUrl("acme", "/_dormer/auth/callback?code=x"), "http://acme.localhost:8088/_dormer/auth/callback?code=x");
    assert.equal(prod.tenantUrl("acme"), "https://acme.tenants.example.net/");
    assert.equal(prod.platformUrl("/auth/login?tenant=acme"), "https://dormer.example.com/auth/login?tenant=acme");
  });

  it("after sign-in, goes only to a path on the tenant's own origin, never the platform's prefix", () => {
    assert.equal(safeNext("/files?x=1#y"), "/files?x=1#y");
    for (const bad of ["//evil.test/", "/\\evil.test", "https://evil.test/", "files", "/_dormer/auth/logout", "/a\r\nSet-Cookie: x", 42, undefined]) {
      assert.equal(safeNext(bad), "/", String(bad));
    }
  });
});
