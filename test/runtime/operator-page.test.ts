import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { isRunning, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

/** In the page, where there are DOM types; here there are none. */
type InPage = { document: { querySelector(s: string): { textContent: string | null } | null; addEventListener(t: string, f: (e: { violatedDirective: string }) => void): void } };

describe("runtime: the operator's page at /admin/ (real supervisor, Redis, Docker, chromium)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const shots = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-operator-page-"));
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let alpha: TestTenant;
  let bravo: TestTenant;
  const violations: string[] = [];

  const cellOf = (tenant: string, column: number) => page.locator(`#tenants tr:has(th:text-is("Tenant ${tenant} (${tenant})")) td`).nth(column);
  const stateOf = (tenant: string) => cellOf(tenant, 0).textContent();
  const shot = async (name: string) => {
    const file = path.join(shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`      screenshot: ${file}`);
  };

  before(async () => {
    redis = await startRedis();
    alpha = await declareTenant(stack, "alpha", { idleTimeoutSeconds: 900, dailyRequestQuota: 1000 });
    bravo = await declareTenant(stack, "bravo");
    sup = await startSupervisor({ stack, redisUrl: redis.url });
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
    await page.addInitScript(() => {
      (globalThis as unknown as InPage).document.addEventListener("securitypolicyviolation", (e) => console.log(`CSP violation: ${e.violatedDirective}`));
    });
    page.on("console", (m) => {
      if (m.text().startsWith("CSP violation")) violations.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("asks for the admin token, refuses a wrong one, and signs in with the right one into a cookie scoped to /admin", async () => {
    await page.goto(`${sup.url}/admin/`);
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    assert.match((await page.getByRole("alert").textContent()) ?? "", /not this stack's admin token/);
    assert.deepEqual(await context.cookies(), []);
    await shot("1-refused");

    await page.getByLabel("Admin token").fill(sup.adminToken);
    await page.keyboard.press("Enter");
    await page.getByRole("table").waitFor();
    const [cookie] = await context.cookies();
    assert.deepEqual({ name: cookie.name, path: cookie.path, httpOnly: cookie.httpOnly, sameSite: cookie.sameSite }, { name: "dormer_admin", path: "/admin", httpOnly: true, sameSite: "Strict" });
    assert.ok(!cookie.value.includes(sup.adminToken), "the cookie is a session, not the token");
  });

  it("lists every tenant asleep, then shows one awake with today's requests and quota after a request, live", async () => {
    await waitFor("both tenants listed", async () => (await page.locator("#tenants tr").count()) === 2, 10_000, 100);
    assert.equal(await stateOf(alpha.id), "asleep");
    assert.equal(await stateOf(bravo.id), "asleep");
    const session = await login(sup.url, alpha.id, alpha.key);
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${siteOf(sup.url, alpha.id)}/messages?limit=1`, { headers: { cookie: session } })).status, 200);
    await waitFor("alpha awake on the page", async () => (await stateOf(alpha.id)) === "awake", 15_000, 200);
    await waitFor("alpha's requests on the page", async () => (await cellOf(alpha.id, 2).textContent()) === "3", 15_000, 200);
    assert.equal(await cellOf(alpha.id, 3).textContent(), "3 / 1000");
    assert.equal(await cellOf(alpha.id, 4).textContent(), "1", "one wake today");
    assert.equal(await cellOf(bravo.id, 3).textContent(), "unlimited");
    const chart = page.getByRole("img", { name: /alpha, requests per day/ });
    assert.equal(await chart.locator("rect").count(), 7, "a bar per day");
    assert.match((await chart.getAttribute("aria-label")) ?? "", /3 requests, 1 wakes$/);
    assert.match((await cellOf(alpha.id, 6).textContent()) ?? "", /wake \(deep, \d+ ms\)/);
    await shot("2-awake");
  });

  it("puts a tenant to sleep from the keyboard, and shows the event", async () => {
    const button = page.getByRole("button", { name: `Sleep ${alpha.id}` });
    await button.focus();
    await page.keyboard.press("Enter");
    await waitFor("alpha asleep on the page", async () => (await stateOf(alpha.id)) === "asleep", 20_000, 200);
    assert.equal(await isRunning(alpha.container), false);
    assert.match((await page.getByRole("status").textContent()) ?? "", new RegExp(`${alpha.id} is asleep`));
    await waitFor("the sleep event", async () => /sleep \(admin\)/.test((await cellOf(alpha.id, 6).textContent()) ?? ""), 10_000, 200);
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }).document.activeElement.getAttribute("aria-label")), `Sleep ${alpha.id}`, "focus survives the refresh");
    await shot("3-asleep");
  });

  it("wakes one from its button", async () => {
    await page.getByRole("button", { name: `Wake ${bravo.id}` }).click();
    await waitFor("bravo awake on the page", async () => (await stateOf(bravo.id)) === "awake", 30_000, 200);
    assert.equal(await isRunning(bravo.container), true);
  });

  it("refuses the cookie on a change that lacks the page's header, from another site, or on a tenant's origin", async () => {
    const cookie = `dormer_admin=${(await context.cookies())[0].value}`;
    const noHeader = await fetch(`${sup.url}/admin/tenants/${bravo.id}/sleep`, { method: "POST", headers: { cookie } });
    assert.equal(noHeader.status, 403);
    const crossSite = await fetch(`${sup.url}/admin/tenants/${bravo.id}/sleep`, { method: "POST", headers: { cookie, "x-dormer-admin": "1", "sec-fetch-site": "cross-site" } });
    assert.equal(crossSite.status, 401);
    assert.equal(await isRunning(bravo.container), true, "nothing was done");
    assert.equal((await fetch(`${sup.url}/metrics`, { headers: { cookie } })).status, 401, "/metrics stays bearer-only");
    const read = await fetch(`${sup.url}/admin/tenants`, { headers: { cookie } });
    assert.equal(read.status, 200, "a same-origin read with the cookie is the page's");
  });

  it("signs out: the cookie is cleared and the old session refused everywhere", async () => {
    const old = `dormer_admin=${(await context.cookies())[0].value}`;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin token").waitFor();
    assert.deepEqual(await context.cookies(), []);
    assert.equal((await fetch(`${sup.url}/admin/tenants`, { headers: { cookie: old } })).status, 401);
    assert.deepEqual(violations, [], "no CSP violation on any of the pages");
  });
});
