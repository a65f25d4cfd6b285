import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { Browser, ConsoleMessage } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { isRunning, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

const SECURITY_HEADERS = ["content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"];
/** In the page, where there are DOM types; here there are none. */
type InPage = { document: { title: string; createElement(tag: string): { textContent: string }; body: { appendChild(node: unknown): void } } };

/** The headers every page the supervisor writes itself must carry, and what its CSP must not allow. */
function assertPageHeaders(res: Response, what: string): void {
  assert.equal(res.headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(res.headers.get("referrer-policy"), "no-referrer", what);
  assert.equal(res.headers.get("x-frame-options"), "DENY", what);
  const csp = res.headers.get("content-security-policy") ?? "";
  const directives = new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
  assert.deepEqual(directives.get("default-src"), ["'none'"], `${what}: ${csp}`);
  assert.deepEqual(directives.get("frame-ancestors"), ["'none'"], `${what}: ${csp}`);
  assert.deepEqual(directives.get("base-uri"), ["'none'"], `${what}: ${csp}`);
  // Inline code only by its hash: nothing injected into a page could run.
  for (const name of ["script-src", "style-src"]) {
    const values = directives.get(name) ?? [];
    assert.ok(values.length > 0 && values.every((v) => /^'sha256-[A-Za-z0-9+/]+=*'$/.test(v)), `${what}: ${name} ${values.join(" ")}`);
  }
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*(?!\.localhost)/, what);
}

describe("runtime: security headers on the supervisor's own pages, none on a tenant's (real supervisor, Redis, Docker, chromium)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let browser: Browser;
  let pages: TestTenant;
  let browsed: TestTenant;

  before(async () => {
    redis = await startRedis();
    pages = await declareTenant(stack, "pages");
    browsed = await declareTenant(stack, "browsed");
    sup = await startSupervisor({ stack, redisUrl: redis.url });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("every page it writes: sign-in form, failed sign-in, sign-in link pages, waiting page, signed out", async () => {
    const site = siteOf(sup.url, pages.id);
    const html = { accept: "text/html" };
    assertPageHeaders(await fetch(`${sup.url}/auth/login?tenant=${pages.id}`), "the sign-in form");
    const failed = await fetch(`${sup.url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ tenant: pages.id, key: "wrong" }).toString(),
    });
    assert.equal(failed.status, 401);
    assertPageHeaders(failed, "the failed sign-in form");
    assertPageHeaders(await fetch(`${site}/_dormer/auth/callback?code=made-up`, { headers: html }), "a bad sign-in link");
    const callback = await fetch(`${sup.url}/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tenant: pages.id, key: pages.key }) });
    const { callback: url } = (await callback.json()) as { callback: string };
    const opened = await fetch(url, { headers: html });
    assert.equal(opened.status, 200);
    assertPageHeaders(opened, "the signed-in page");
    const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0];
    const waiting = await fetch(`${site}/`, { headers: { ...html, cookie } });
    assert.equal(waiting.status, 503);
    assertPageHeaders(waiting, "the waiting page");
    const out = await fetch(`${site}/_dormer/auth/logout`, { method: "POST", headers: { ...html, cookie } });
    assertPageHeaders(out, "the signed-out page");
    // And the platform origin's JSON answers, where no tenant is ever served.
    assertPageHeaders(await fetch(`${sup.url}/health`), "/health");
  });

  it("a tenant's proxied answer keeps the tenant's own headers: none of the platform's are added", async () => {
    const cookie = await login(sup.url, pages.id, pages.key);
    await fetch(`${sup.url}/admin/tenants/${pages.id}/wake`, { method: "POST", headers: { authorization: `Bearer ${sup.adminToken}` } });
    const res = await fetch(`${siteOf(sup.url, pages.id)}/`, { headers: { cookie, accept: "text/html" } });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Your workspace/);
    // The tenant app's own policy (runtime/tenant-app/app.js), exactly as it sent it.
    assert.match(res.headers.get("content-security-policy") ?? "", /^default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';/);
    for (const name of SECURITY_HEADERS.filter((h) => h !== "content-security-policy")) assert.equal(res.headers.get(name), null, name);
    const api = await fetch(`${siteOf(sup.url, pages.id)}/health`, { headers: { cookie } });
    for (const name of SECURITY_HEADERS) assert.equal(api.headers.get(name), null, `${name} on a tenant's JSON`);
  });

  it("in chromium the CSP breaks nothing: the sign-in form posts, the waiting page's script polls, the tenant opens", async () => {
    const context = await browser.newContext();
    const violations: string[] = [];
    const statusPolls: string[] = [];
    try {
      const page = await context.newPage();
      page.on("console", (m: ConsoleMessage) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
      });
      page.on("request", (r) => {
        if (r.url().endsWith("/_dormer/status")) statusPolls.push(r.url());
      });
      const site = siteOf(sup.url, browsed.id);
      await page.goto(`${site}/`);
      assert.ok(page.url().startsWith(`${sup.url}/auth/login?tenant=${browsed.id}`), page.url());
      await page.fill("input[name=key]", browsed.key);
      const waiting = page.waitForResponse((r) => r.url() === `${site}/` && r.status() === 503);
      await page.click("button[type=submit]");
      await waiting;
      await waitFor("the waiting page's wake to start the container", () => isRunning(browsed.container), 30_000, 50);
      await page.waitForSelector("h1:has-text('Your workspace')", { timeout: 30_000 });
      assert.ok(statusPolls.length > 0, "the waiting page's script ran and polled /_dormer/status");
      assert.deepEqual(violations, []);
    } finally {
      await context.close();
    }
  });

  it("in chromium a script added to one of its pages does not run, and no page may frame it", async () => {
    const context = await browser.newContext();
    let server: http.Server | undefined;
    try {
      const page = await context.newPage();
      const refused: string[] = [];
      page.on("console", (m: ConsoleMessage) => {
        if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
      });
      await page.goto(`${sup.url}/auth/login`);
      const ran = await page.evaluate(() => {
        const w = globalThis as unknown as InPage & { injected?: boolean };
        const script = w.document.createElement("script");
        script.textContent = "globalThis.injected = true";
        w.document.body.appendChild(script);
        return w.injected === true;
      });
      assert.equal(ran, false, "an injected inline script ran");
      await waitFor("chromium to report the refused script", async () => refused.some((m) => /inline script/i.test(m)), 5_000, 50);

      // Another site's page framing the sign-in form, served from loopback like the platform (chromium's
      // local network checks would refuse a public page's frame for another reason): the frame asks for the
      // form and chromium shows its error page there instead.
      server = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(`<iframe src="${sup.url}/auth/login"></iframe>`));
      await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
      const framer = await context.newPage();
      const asked = framer.waitForRequest(`${sup.url}/auth/login`);
      await framer.goto(`http://localhost:${(server.address() as AddressInfo).port}/`);
      await asked;
      await waitFor("chromium to put its error page in the frame", async () => framer.frames().some((f) => f.url() === "chrome-error://chromewebdata/"), 10_000, 50);
      for (const frame of framer.frames()) {
        assert.ok(!(await frame.content().catch(() => "")).includes("Access key"), `the sign-in form rendered in a frame at ${frame.url()}`);
      }
    } finally {
      await context.close();
      server?.close();
    }
  });
});
