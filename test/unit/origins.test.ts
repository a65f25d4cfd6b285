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
      assert.equal(withHosts.returnHostOf("acme", "files.acme.com"), "files.acme.com");
      assert.equal(withHosts.returnHostOf("globex", "files.acme.com"), undefined);
      assert.equal(withHosts.returnHostOf("acme", "evil.test"), undefined);
      assert.equal(withHosts.returnHostOf("acme", ["files.acme.com"]), undefined);
    });
  });

  describe("a tenant's extra ports: `<id>--<port>.<base>`", () => {
    const ports: Record<string, number[]> = { acme: [9090] };
    const withPorts = new Origins("http://127.0.0.1:8088", "localhost", () => undefined, (tenant) => ports[tenant] ?? []);

    it("are that tenant's origin with the port, in any case, with or without the gateway's port", () => {
      assert.deepEqual(withPorts.of("acme--9090.localhost:8088"), { kind: "tenant", tenant: "acme", port: 9090 });
      assert.deepEqual(withPorts.of("ACME--9090.localhost"), { kind: "tenant", tenant: "acme", port: 9090 });
      assert.deepEqual(prod.of("acme--1.tenants.example.net"), { kind: "tenant", tenant: "acme", port: 1 });
      assert.deepEqual(prod.of("my-app--65535.tenants.example.net"), { kind: "tenant", tenant: "my-app", port: 65535 });
    });

    it("are classified by form alone: an undeclared port is still that tenant's, refused once the caller is known", () => {
      assert.deepEqual(withPorts.of("acme--9091.localhost"), { kind: "tenant", tenant: "acme", port: 9091 });
      assert.deepEqual(withPorts.of("acme--8080.localhost"), { kind: "tenant", tenant: "acme", port: 8080 });
    });

    it("name no site when the port is no port, is written two ways, or the id holds the separator", () => {
      for (const host of ["acme--0.localhost", "acme--09090.localhost", "acme--65536.localhost", "acme--123456.localhost", "acme--x.localhost", "acme--.localhost", "a--b--9090.localhost", "acme---9090.localhost", "--9090.localhost", "acme--9090.a.localhost"]) {
        assert.deepEqual(withPorts.of(host), { kind: "unknown" }, host);
      }
    });

    it("have one host name per port, where a sign-in returns only for a port the tenant declares", () => {
      assert.equal(withPorts.portHost("acme", 9090), "acme--9090.localhost");
      assert.equal(withPorts.tenantUrl("acme", "/_dormer/auth/callback?code=x", "acme--9090.localhost"), "http://acme--9090.localhost:8088/_dormer/auth/callback?code=x");
      assert.equal(withPorts.returnHostOf("acme", "acme--9090.localhost:8088"), "acme--9090.localhost");
      assert.equal(withPorts.returnHostOf("acme", "acme--9091.localhost"), undefined);
      assert.equal(withPorts.returnHostOf("globex", "acme--9090.localhost"), undefined);
      assert.equal(withPorts.returnHostOf("acme", "acme.localhost"), undefined, "the tenant's main origin is the default, not a return host");
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
