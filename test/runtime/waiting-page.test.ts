import { strict as assert } from "assert";
import * as crypto from "crypto";
import { Browser, chromium, Page, Route } from "playwright-core";
import { SESSION_COOKIE } from "../../runtime/session-cookie";
import { isRunning, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

const SCREENSHOT = "/tmp/dormer-waiting.png";
/** The tenant app's own page (runtime/tenant-app/index.html). */
const TENANT_PAGE = "h1:has-text('Your workspace')";
/** Waking takes well under a second here; the page polls every 300 ms. */
const LAND_WITHIN_MS = 15_000;

describe("runtime: the waiting page in a real browser (headless chromium, real Redis, real Docker)", function () {
  this.timeout(120_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let browser: Browser;
  let browse: TestTenant;
  let signin: TestTenant;

  before(async () => {
    redis = await startRedis();
    // Declared before the supervisor starts, so its first engine read knows them: a tenant-key login does not
    // re-read the engine for a tenant it has not heard of yet, and the "create" event may still be on its way.
    browse = await declareTenant(stack, "browse");
    signin = await declareTenant(stack, "signin");
    sup = await startSupervisor({ stack, redisUrl: redis.url });
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });

  after(async () => {
    await browser?.close();
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  describe("with a session, to a sleeping tenant", () => {
    let page: Page;
    let releaseStatus = (): void => undefined;

    before(async () => {
      const [name, value] = (await login(sup.url, browse.id, browse.key)).split(/=(.*)/s);
      assert.equal(name, SESSION_COOKIE);
      const context = await browser.newContext();
      await context.addCookies([{ name, value, domain: "127.0.0.1", path: "/", httpOnly: true, sameSite: "Strict" }]);
      page = await context.newPage();
      // The page's status polls wait until the first test has seen (and photographed) the waiting page.
      const statusHeld = new Promise<void>((resolve) => (releaseStatus = resolve));
      await page.route("**/session/status", async (route: Route) => {
        await statusHeld;
        await route.continue();
      });
    });

    after(async () => {
      releaseStatus();
      await page?.context().close();
    });

    it("answers the first navigation with the waiting page (503, \"Waking\") and starts the tenant", async () => {
      assert.equal(await isRunning(browse.container), false);
      const response = await page.goto(`${sup.url}/`);
      assert.equal(response?.status(), 503);
      assert.match(await response!.text(), /Waking Tenant browse/);
      assert.match(await page.title(), /^Waking Tenant browse/);
      await page.screenshot({ path: SCREENSHOT });
      await waitFor("the waiting page's wake to start the container", () => isRunning(browse.container), 5_000, 20);
    });

    it("lands on the tenant's own page by itself once the tenant is up", async () => {
      releaseStatus();
      const started = Date.now();
      await page.waitForSelector(TENANT_PAGE, { timeout: LAND_WITHIN_MS });
      assert.ok(Date.now() - started < LAND_WITHIN_MS);
      assert.equal(page.url(), `${sup.url}/`);
      assert.equal(await page.title(), "dormer");
      // Its own script reached the app through the supervisor too: history and files loaded without error.
      await page.waitForLoadState("networkidle");
      assert.equal(await page.textContent("#error"), "");
    });
  });

  it("without a session, redirects to the sign-in form, which signs in and leads to the tenant", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${sup.url}/`);
      assert.equal(page.url(), `${sup.url}/auth/login`);
      await page.fill("input[name=tenant]", signin.id);
      await page.fill("input[name=key]", signin.key);
      const [landed] = await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
      assert.equal(page.url(), `${sup.url}/`);
      // 503 while it wakes, or 200 if it woke before the redirect was followed: both are fine.
      assert.ok([200, 503].includes(landed!.status()), `landed with ${landed!.status()}`);
      assert.match(await page.content(), /Waking Tenant signin|Your workspace/);
      await page.waitForSelector(TENANT_PAGE, { timeout: LAND_WITHIN_MS });
      assert.ok((await context.cookies()).some((c) => c.name === SESSION_COOKIE), "the session cookie was set");
    } finally {
      await context.close();
    }
  });
});
