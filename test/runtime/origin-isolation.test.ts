import { strict as assert } from "assert";
import * as crypto from "crypto";
import { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { SESSION_COOKIE } from "../../runtime/sessions/session-cookie";
import { RedisServer, startRedis } from "../support/redis-server";
import { RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

/**
 * A hostile tenant's own image, as a tenant could ship it: its page registers a service worker with scope
 * `/` that keeps every request it sees (URL, headers, body) in Cache Storage, writes localStorage, tries to
 * plant `dormer_session` with Set-Cookie (host-only and for the parent domain) and with document.cookie, and
 * tries to act on other tenants' origins with the browser's cookies.
 */
const EVIL_SERVER = String.raw`
const http = require("http");
const page = '<!doctype html><title>evilco</title><h1>evilco</h1><script>' +
  'const victim = location.origin.replace("//evilco.", "//victim.");' +
  'localStorage.setItem("evil", "planted");' +
  'document.cookie = "${SESSION_COOKIE}=from-script; path=/";' +
  'document.cookie = "${SESSION_COOKIE}=from-script-parent; domain=localhost; path=/";' +
  'navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(() => navigator.serviceWorker.ready).then(() => { document.title = "evilco ready"; });' +
  // With the browser's cookies: read the victim's messages, and post one in the victim's name.
  'window.attack = async () => { const out = {};' +
  ' try { out.read = await (await fetch(victim + "/messages?limit=200", { credentials: "include" })).text(); } catch (e) { out.read = "blocked: " + e.message; }' +
  ' await fetch(victim + "/messages", { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: JSON.stringify({ text: "posted by evilco" }) }).catch(() => undefined);' +
  ' return out; };' +
  '</script>';
const worker = 'self.addEventListener("install", () => self.skipWaiting());' +
  'self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));' +
  'let n = 0;' +
  'self.addEventListener("fetch", (e) => { const req = e.request; e.respondWith((async () => {' +
  '  const body = req.method === "GET" || req.method === "HEAD" ? "" : await req.clone().text().catch(() => "");' +
  '  const seen = { url: req.url, method: req.method, headers: [...req.headers], body };' +
  '  const res = await fetch(req);' +
  '  const copy = res.clone(); const text = await copy.text().catch(() => "");' +
  '  const cache = await caches.open("loot");' +
  '  await cache.put("/loot/" + Date.now() + "-" + (n++), new Response(JSON.stringify({ seen, status: res.status, headers: [...res.headers], text })));' +
  '  return res; })()); });';
http.createServer((req, res) => {
  if (req.url === "/health") return res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
  if (req.url === "/sw.js") return res.writeHead(200, { "content-type": "text/javascript", "cache-control": "no-store" }).end(worker);
  res.writeHead(200, {
    "content-type": "text/html",
    "set-cookie": ["${SESSION_COOKIE}=from-header; Path=/; HttpOnly", "${SESSION_COOKIE}=from-header-parent; Domain=localhost; Path=/", "=${SESSION_COOKIE}=nameless; Path=/", "evil_own=kept; Path=/"],
  }).end(page);
}).listen(Number(process.env.PORT));
`;

describe("runtime: origin isolation in a real browser (headless chromium, a hostile tenant image, real Redis, Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let browser: Browser;
  let context: BrowserContext;
  let evil: TestTenant;
  let victim: TestTenant;
  const secret = `victim-only-${crypto.randomBytes(6).toString("hex")}`;

  const signIn = async (page: Page, t: TestTenant): Promise<void> => {
    await page.goto(`${siteOf(sup.url, t.id)}/`);
    assert.ok(page.url().startsWith(`${sup.url}/auth/login?tenant=${t.id}`), page.url());
    await page.fill("input[name=key]", t.key);
    await page.click("button[type=submit]");
    await page.waitForURL(`${siteOf(sup.url, t.id)}/`, { timeout: 30_000 });
  };
  /** Everything the hostile tenant's code can read on its own origin (run in the page: no DOM types here). */
  const evilsView = (page: Page) =>
    page.evaluate(`(async () => {
      const cache = await caches.open("loot");
      const loot = [];
      for (const key of await cache.keys()) loot.push(await (await cache.match(key)).text());
      const names = await caches.keys();
      return { loot, names, local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }), cookie: document.cookie };
    })()`) as Promise<{ loot: string[]; names: string[]; local: string; session: string; cookie: string }>;

  before(async () => {
    redis = await startRedis();
    victim = await declareTenant(stack, "victim");
    evil = await declareTenant(stack, "evilco", { command: ["node", "-e", EVIL_SERVER] });
    sup = await startSupervisor({ stack, redisUrl: redis.url });
    browser = await launchBrowser();
    context = await browser.newContext();
  });

  after(async () => {
    await browser?.close();
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  describe("a browser signed in to the hostile tenant, its worker installed, then signs in to another tenant", () => {
    let page: Page;
    let victimCookie: string;

    before(async () => {
      page = await context.newPage();
      await signIn(page, evil);
      // A function, not a string: the platform's pages on the way (strict CSP) refuse string evaluation.
      await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === "evilco ready", undefined, { timeout: 30_000 });
      // Reloaded under the worker's control, so it sees everything this origin loads from now on.
      await page.reload();
      await page.waitForFunction("navigator.serviceWorker.controller !== null", undefined, { timeout: 10_000 });

      // The same browser (same profile, the worker still registered) signs in to the victim and uses it.
      await signIn(page, victim);
      await page.waitForSelector("h1:has-text('Your workspace')", { timeout: 30_000 });
      const posted = await page.evaluate(`(async (text) => {
        const res = await fetch("/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });
        localStorage.setItem("victim-note", text);
        return res.status;
      })(${JSON.stringify(secret)})`);
      assert.equal(posted, 201);
      victimCookie = (await context.cookies(siteOf(sup.url, victim.id))).find((c) => c.name === SESSION_COOKIE)!.value;

      // Back on the hostile tenant's origin: its worker and its page run again, and try their attacks.
      await page.goto(`${siteOf(sup.url, evil.id)}/`);
      await page.waitForFunction("navigator.serviceWorker.controller !== null", undefined, { timeout: 10_000 });
    });

    after(async () => {
      await page?.close();
    });

    it("the hostile worker did intercept its own origin's traffic (the probe works)", async () => {
      const view = await evilsView(page);
      assert.ok(view.loot.length >= 2, `the worker kept ${view.loot.length} requests`);
      assert.ok(view.loot.some((l) => l.includes(`${evil.id}.localhost`)), "it saw its own pages");
      assert.equal(JSON.parse(view.local).evil, "planted");
    });

    it("nothing of the other tenant, and not its key, is in the hostile origin's Cache Storage, storage or cookies", async () => {
      const view = await evilsView(page);
      const cookies = await context.cookies(siteOf(sup.url, evil.id));
      const everything = JSON.stringify({ view, cookies });
      for (const [what, needle] of [
        ["the victim's key", victim.key],
        ["the victim's message", secret],
        ["the victim's session", victimCookie],
        ["the victim's origin", `${victim.id}.localhost`],
        ["the sign-in form's post", "/auth/login"],
      ]) {
        assert.ok(!everything.includes(needle), `${what} is visible to the hostile tenant's code`);
      }
      // Its localStorage holds only what it wrote; the victim's note lives on the victim's origin.
      assert.deepEqual(JSON.parse(view.local), { evil: "planted" });
    });

    it("the hostile tenant's Set-Cookie for dormer_session was dropped; its own cookie was kept", async () => {
      const cookies = await context.cookies(siteOf(sup.url, evil.id));
      const sessions = cookies.filter((c) => c.name === SESSION_COOKIE);
      assert.ok(!sessions.some((c) => c.value.startsWith("from-header") || c.value === "nameless"), JSON.stringify(sessions));
      assert.ok(cookies.some((c) => c.name === "evil_own" && c.value === "kept"));
      // The one session cookie the platform set on this origin is host-only and HttpOnly: script could not replace it.
      const platformSet = sessions.filter((c) => c.httpOnly);
      assert.equal(platformSet.length, 1);
      assert.equal(platformSet[0].domain, `${evil.id}.localhost`);
    });

    it("the hostile page cannot read the other tenant or act there with the browser's cookies", async () => {
      const out = (await page.evaluate("window.attack()")) as { read: string };
      assert.ok(!out.read.includes(secret), "read the victim's messages");
      const stillThere = await page.context().newPage();
      try {
        await stillThere.goto(`${siteOf(sup.url, victim.id)}/messages?limit=200`);
        const messages = await stillThere.textContent("body");
        assert.ok(messages?.includes(secret), "the victim still works in the same browser");
        assert.ok(!messages?.includes("posted by evilco"), "the hostile page posted in the victim's name");
        // Whatever the hostile origin planted (script cookies, parent-domain cookies) did not take the victim's session over.
        const status = await stillThere.evaluate(async () => (await fetch("/_dormer/status")).json());
        assert.equal((status as { tenant: string }).tenant, victim.id);
      } finally {
        await stillThere.close();
      }
    });

    it("signing out of the hostile tenant wipes its origin: worker, Cache Storage, localStorage", async () => {
      const status = await page.evaluate(async () => (await fetch("/_dormer/auth/logout", { method: "POST" })).status);
      assert.equal(status, 200);
      await page.goto(`${siteOf(sup.url, evil.id)}/_dormer/status`);
      const left = (await page.evaluate(`(async () => ({
        workers: (await navigator.serviceWorker.getRegistrations()).length,
        local: localStorage.length,
        cookie: document.cookie,
      }))()`)) as { workers: number; local: number; cookie: string };
      assert.deepEqual(left, { workers: 0, local: 0, cookie: "evil_own=kept" });
      // The worker was still running while the sign-out's answer arrived, and may write once more after the
      // wipe: only about that request itself, nothing from before it.
      const seenAfter = (await evilsView(page)).loot.map((l) => (JSON.parse(l) as { seen: { url: string } }).seen.url);
      assert.ok(seenAfter.every((url) => url.endsWith("/_dormer/auth/logout")), JSON.stringify(seenAfter));
      assert.equal((await page.evaluate(async () => (await fetch("/_dormer/status")).status)), 401);
      // The other tenant's session is untouched by this origin's sign-out.
      const victimStill = (await context.cookies(siteOf(sup.url, victim.id))).find((c) => c.name === SESSION_COOKIE);
      assert.equal(victimStill?.value, victimCookie);
    });
  });
});
