import { strict as assert } from "assert";
import { downstreamHeaders, downstreamUpgradeHead, presentedApiKey, upstreamHeaders } from "../../runtime/http/proxy-headers";
import { SESSION_COOKIE } from "../../runtime/sessions/session-cookie";

const ALICE = { tenant: "alpha", user: "key:alpha" };
const CLIENT = { ip: "203.0.113.7", proto: "https" };

describe("proxy headers: what a tenant sees of a client's request", () => {
  it("strips the dormer session and Cloudflare Access cookies and keeps the others", () => {
    const out = upstreamHeaders(
      { cookie: `theme=dark; ${SESSION_COOKIE}=eyJhbGciOi.x.y; CF_Authorization=eyJraWQi.a.b; lang=en` },
      ALICE,
      CLIENT,
    );
    assert.equal(out.cookie, "theme=dark; lang=en");
  });

  it("strips a session cookie written with spaces around its name, as the session reader accepts it", () => {
    const out = upstreamHeaders({ cookie: `theme=dark;  ${SESSION_COOKIE} =eyJhbGciOi.x.y` }, ALICE, CLIENT);
    assert.equal(out.cookie, "theme=dark");
  });

  it("sends no Cookie header when the session cookies were the only ones", () => {
    const out = upstreamHeaders({ cookie: `${SESSION_COOKIE}=t; CF_Authorization=u` }, ALICE, CLIENT);
    assert.equal("cookie" in out, false);
  });

  it("drops every identity header a client sent and sets the verified X-User-ID and X-Tenant-ID", () => {
    const spoofed = {
      "x-user-id": "mallory",
      "x-tenant-id": "bravo",
      "x-forwarded-user": "mallory",
      "x-forwarded-email": "mallory@evil.test",
      "x-forwarded-preferred-username": "mallory",
      "x-forwarded-groups": "admins",
      "x-auth-request-user": "mallory",
      "x-auth-request-email": "mallory@evil.test",
      "x-remote-user": "mallory",
      "remote-user": "mallory",
      "x-webauth-user": "mallory",
      "cf-access-jwt-assertion": "forged",
      "cf-access-authenticated-user-email": "mallory@evil.test",
      "x-dormer-wake": "manual",
      "x-forwarded-for": "10.6.6.6",
      "x-forwarded-proto": "gopher",
      accept: "application/json",
    };
    const out = upstreamHeaders(spoofed, ALICE, CLIENT);
    assert.deepEqual(out, {
      accept: "application/json",
      "x-user-id": "key:alpha",
      "x-tenant-id": "alpha",
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-proto": "https",
    });
  });

  it("drops hop-by-hop headers, and any header the Connection header names", () => {
    const out = upstreamHeaders(
      {
        host: "app.example.test",
        connection: "keep-alive, X-Trace-Hop",
        "keep-alive": "timeout=5",
        "proxy-connection": "keep-alive",
        "transfer-encoding": "chunked",
        te: "trailers",
        trailer: "x-checksum",
        upgrade: "h2c",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        "x-trace-hop": "1",
        "content-type": "application/json",
      },
      ALICE,
      CLIENT,
    );
    assert.deepEqual(Object.keys(out).sort(), ["content-type", "host", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-tenant-id", "x-user-id"]);
    assert.equal(out["x-forwarded-host"], "app.example.test");
  });

  it("keeps the upgrade headers of a WebSocket handshake", () => {
    const out = upstreamHeaders({ connection: "Upgrade", upgrade: "websocket", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" }, ALICE, CLIENT, true);
    assert.equal(out.connection, "Upgrade");
    assert.equal(out.upgrade, "websocket");
    assert.equal(out["sec-websocket-key"], "dGhlIHNhbXBsZSBub25jZQ==");
  });
});

describe("proxy headers: what a client sees of a tenant's response", () => {
  it("drops a tenant's Set-Cookie for the platform's cookies, however it is spelled, and keeps its own", () => {
    const out = downstreamHeaders({
      "content-type": "text/html",
      "set-cookie": [
        `${SESSION_COOKIE}=planted; Path=/; HttpOnly`,
        `${SESSION_COOKIE}=; Max-Age=0`,
        ` ${SESSION_COOKIE} =spaced; Path=/`,
        `${SESSION_COOKIE}=tossed; Domain=localhost; Path=/`,
        // Nameless: the browser sends it back as the bare value, which reads as our cookie.
        `=${SESSION_COOKIE}=nameless; Path=/`,
        `${SESSION_COOKIE}=bare`,
        "CF_Authorization=forged; Path=/",
        "theme=dark; Path=/",
        `note=${SESSION_COOKIE}=is-just-a-value`,
      ],
    });
    assert.deepEqual(out["set-cookie"], ["theme=dark; Path=/", `note=${SESSION_COOKIE}=is-just-a-value`]);
    assert.equal(out["content-type"], "text/html");
  });

  it("sends no Set-Cookie at all when only platform cookies were set", () => {
    const out = downstreamHeaders({ "set-cookie": [`${SESSION_COOKIE}=planted`] });
    assert.equal("set-cookie" in out, false);
  });

  it("applies the same rule to the raw head of an upgrade answer, keeping every other line as sent", () => {
    const head = [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
      `SET-COOKIE:  ${SESSION_COOKIE}=planted; Path=/`,
      `set-cookie: =${SESSION_COOKIE}=nameless`,
      "Set-Cookie: CF_Authorization=forged",
      "Set-Cookie: theme=dark; Path=/",
    ].join("\r\n");
    assert.equal(
      downstreamUpgradeHead(head),
      ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Set-Cookie: theme=dark; Path=/"].join("\r\n"),
    );
  });

  it("never passes an API key on: X-API-Key always, Authorization only when it carries the platform's prefix", () => {
    assert.equal("x-api-key" in upstreamHeaders({ "x-api-key": "anything" }, ALICE, CLIENT), false);
    assert.equal("authorization" in upstreamHeaders({ authorization: "Bearer dormer_0123456789ab_ff" }, ALICE, CLIENT), false);
    assert.equal(upstreamHeaders({ authorization: "Bearer the-apps-own-token" }, ALICE, CLIENT).authorization, "Bearer the-apps-own-token");
  });

  it("reads a presented API key from X-API-Key or a prefixed bearer token, and ignores any other Authorization", () => {
    assert.equal(presentedApiKey({ "x-api-key": " dormer_x " }), "dormer_x");
    assert.equal(presentedApiKey({ authorization: "bearer  dormer_y" }), "dormer_y");
    assert.equal(presentedApiKey({ authorization: "Bearer someone-elses" }), undefined);
    assert.equal(presentedApiKey({ authorization: "Basic ZG9ybWVyXzp4" }), undefined);
  });
});
