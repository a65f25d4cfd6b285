import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload, SignJWT } from "jose";
import type { TenantDirectory } from "../../runtime/engine/directory";
import type { DeclaredTenant } from "../../runtime/engine/engine";
import { declaredTenant } from "../support/declared-tenant";
import { toHttp } from "../../runtime/errors";
import { AccessUnavailableError, CloudflareAccess } from "../../runtime/identity/cloudflare-access";

const TEAM = "acme-team.cloudflareaccess.com";
const ISSUER = `https://${TEAM}`;
const AUD = "a1b2c3-application-aud";
const KID = "test-key";
const HOST_AUD = "aud-of-files-acme-com";
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

const tenant = (id: string, members: string[]): DeclaredTenant => declaredTenant(id, { members });

/** Exact email first, then @domain, as the real directory promises. */
const directory = (tenants: DeclaredTenant[]): TenantDirectory => ({
  get: (id) => tenants.find((t) => t.id === id),
  all: () => tenants,
  byMember: (email) =>
    tenants.find((t) => t.members.includes(email)) ?? tenants.find((t) => t.members.includes(email.slice(email.indexOf("@")))),
  byHostname: (host) => tenants.find((t) => t.hostnames.includes(host)),
});

const listen = async (server: Server): Promise<string> => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe("identity: Cloudflare Access", () => {
  let keys: { publicKey: CryptoKey; privateKey: CryptoKey };
  let otherKeys: { publicKey: CryptoKey; privateKey: CryptoKey };
  let jwksServer: Server;
  let jwksUrl: string;
  let access: CloudflareAccess;

  before(async () => {
    keys = await generateKeyPair("RS256", { extractable: true });
    otherKeys = await generateKeyPair("RS256");
    const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: KID, alg: "RS256", use: "sig" }] });
    jwksServer = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(jwks));
    jwksUrl = `${await listen(jwksServer)}/cdn-cgi/access/certs`;
    access = new CloudflareAccess({
      teamDomain: TEAM,
      audience: AUD,
      directory: directory([
        declaredTenant("acme", { members: ["@acme.com"], hostnames: ["files.acme.com"], accessAudiences: { "files.acme.com": HOST_AUD } }),
        tenant("globex", ["bob@acme.com", "@globex.com"]),
      ]),
      jwksUrl,
    });
  });
  after(() => {
    jwksServer.close();
  });

  /** An Access-shaped token; each test spoils one part of it. */
  const token = (
    claims: JWTPayload = {},
    opts: { key?: CryptoKey; issuer?: string; audience?: string; expires?: number | string } = {},
  ) =>
    new SignJWT({ email: "alice@acme.com", type: "app", ...claims })
      .setProtectedHeader({ alg: "RS256", kid: KID })
      .setIssuer(opts.issuer ?? ISSUER)
      .setAudience(opts.audience ?? AUD)
      .setSubject("00000000-user-uuid")
      .setIssuedAt()
      .setExpirationTime(opts.expires ?? "10m")
      .sign(opts.key ?? keys.privateKey);

  const withHeader = (jwt: string) => ({ headers: { "cf-access-jwt-assertion": jwt } });
  const identityOf = (jwt: string) => access.fromRequest(withHeader(jwt));

  describe("accepts", () => {
    it("a member by @domain", async () => {
      assert.deepEqual(await identityOf(await token()), { tenant: "acme", user: "alice@acme.com" });
    });

    it("a member by exact email before the domain", async () => {
      assert.deepEqual(await identityOf(await token({ email: "bob@acme.com" })), { tenant: "globex", user: "bob@acme.com" });
    });

    it("an email in any case, reported lowercased", async () => {
      assert.deepEqual(await identityOf(await token({ email: "Bob@ACME.com" })), { tenant: "globex", user: "bob@acme.com" });
    });

    it("the CF_Authorization cookie when the header is missing", async () => {
      const req = { headers: { cookie: `theme=dark; CF_Authorization=${await token()}` } };
      assert.deepEqual(await access.fromRequest(req), { tenant: "acme", user: "alice@acme.com" });
    });
  });

  describe("a tenant's own host name (its own Access application)", () => {
    const onHost = (jwt: string, host: string) => access.fromRequest({ headers: { host, "cf-access-jwt-assertion": jwt } });

    it("accepts a token of that host's application there", async () => {
      assert.deepEqual(await onHost(await token({}, { audience: HOST_AUD }), "files.acme.com"), { tenant: "acme", user: "alice@acme.com" });
    });

    it("refuses the main application's token there, and the host's token on the main names", async () => {
      assert.equal(await onHost(await token(), "files.acme.com"), null);
      assert.equal(await onHost(await token({}, { audience: HOST_AUD }), "acme.tenants.example.net"), null);
      assert.deepEqual(await onHost(await token(), "acme.tenants.example.net"), { tenant: "acme", user: "alice@acme.com" });
    });
  });

  describe("rejects", () => {
    it("a request without a token", async () => {
      assert.equal(await access.fromRequest({ headers: {} }), null);
    });

    it("a token for another Access application", async () => {
      assert.equal(await identityOf(await token({}, { audience: "someone-elses-aud" })), null);
    });

    it("a token from another issuer", async () => {
      assert.equal(await identityOf(await token({}, { issuer: "https://evil.cloudflareaccess.com" })), null);
    });

    it("an expired token", async () => {
      assert.equal(await identityOf(await token({}, { expires: Math.floor(Date.now() / 1000) - 60 })), null);
    });

    it("a token signed by another key under the published kid", async () => {
      assert.equal(await identityOf(await token({}, { key: otherKeys.privateKey })), null);
    });

    it("a token naming a kid that was never published", async () => {
      const jwt = await new SignJWT({ email: "alice@acme.com" })
        .setProtectedHeader({ alg: "RS256", kid: "unknown" })
        .setIssuer(ISSUER)
        .setAudience(AUD)
        .setExpirationTime("10m")
        .sign(otherKeys.privateKey);
      assert.equal(await identityOf(jwt), null);
    });

    it("HS256 signed with the public key as the secret", async () => {
      const secret = new TextEncoder().encode(await exportSPKI(keys.publicKey));
      const jwt = await new SignJWT({ email: "alice@acme.com" })
        .setProtectedHeader({ alg: "HS256", kid: KID })
        .setIssuer(ISSUER)
        .setAudience(AUD)
        .setExpirationTime("10m")
        .sign(secret);
      assert.equal(await identityOf(jwt), null);
    });

    it("alg none", async () => {
      const claims = { email: "alice@acme.com", iss: ISSUER, aud: AUD, exp: Math.floor(Date.now() / 1000) + 600 };
      assert.equal(await identityOf(`${b64({ alg: "none", kid: KID })}.${b64(claims)}.`), null);
    });

    it("a token without an email (a service token)", async () => {
      assert.equal(await identityOf(await token({ email: undefined, common_name: "ci.access" })), null);
    });

    it("an email that belongs to no tenant", async () => {
      assert.equal(await identityOf(await token({ email: "mallory@initech.com" })), null);
    });

    it("garbage", async () => {
      assert.equal(await identityOf("not-a-jwt"), null);
    });
  });

  describe("when the signing keys cannot be fetched", () => {
    const identityVia = async (url: string) => {
      const unreachable = new CloudflareAccess({ teamDomain: TEAM, audience: AUD, directory: directory([]), jwksUrl: url });
      return unreachable.fromRequest(withHeader(await token()));
    };

    it("throws AccessUnavailableError when the key server is down, letting nobody in", async () => {
      const closed = createServer();
      const url = await listen(closed);
      closed.close();
      await assert.rejects(identityVia(`${url}/cdn-cgi/access/certs`), (err) => err instanceof AccessUnavailableError && toHttp(err).status === 503);
    });

    it("throws AccessUnavailableError when the key server answers with an error", async () => {
      const failing = createServer((_req, res) => res.writeHead(500).end());
      try {
        await assert.rejects(identityVia(`${await listen(failing)}/cdn-cgi/access/certs`), AccessUnavailableError);
      } finally {
        failing.close();
      }
    });
  });
});
