import { strict as assert } from "assert";
import * as crypto from "crypto";
import { Browser, Page, Route } from "playwright-core";
import { launchBrowser } from "../support/browser";
import { SESSION_COOKIE } from "../../runtime/sessions/session-cookie";
import { isRunning, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
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
    browser = await launchBrowser();
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
      // Host-only, on the tenant's own origin: exactly what the sign-in code exchange sets.
      await context.addCookies([{ name, value, url: siteOf(sup.url, browse.id), httpOnly: true, sameSite: "Strict" }]);
      page = await context.newPage();
      // The page's status polls wait until the first test has seen (and photographed) the waiting page.
      const statusHeld = new Promise<void>((resolve) => (releaseStatus = resolve));
      await page.route("**/_dormer/status", async (route: Route) => {
        await statusHeld;
        // A poll the page gave up on (its meta refresh navigated away while held) can no longer be continued;
        // left unhandled, that rejection would fail whichever test runs when the polls are released.
        await route.continue().catch(() => undefined);
      });
    });

    after(async () => {
      releaseStatus();
      await page?.context().close();
    });

    it("answers the first navigation with the waiting page (503, \"Waking\") and starts the tenant", async () => {
      assert.equal(await isRunning(browse.container), false);
      const response = await page.goto(`${siteOf(sup.url, browse.id)}/`);
      assert.equal(response?.status(), 503);
      assert.match(await response!.text(), /Waking Tenant browse/);
      assert.match(await page.title(), /^Waking Tenant browse/);
      await page.screenshot({ path: SCREENSHOT });
      await waitFor("the waiting page's wake to start the container", () => isRunning(browse.container), 30_000, 20);
    });

    it("lands on the tenant's own page by itself once the tenant is up", async () => {
      releaseStatus();
      const started = Date.now();
      await page.waitForSelector(TENANT_PAGE, { timeout: LAND_WITHIN_MS });
      assert.ok(Date.now() - started < LAND_WITHIN_MS);
      assert.equal(page.url(), `${siteOf(sup.url, browse.id)}/`);
      assert.equal(await page.title(), "dormer");
      // Its own script reached the app through the supervisor too: history and files loaded without error.
      await page.waitForLoadState("networkidle");
      assert.equal(await page.textContent("#error"), "");
    });
  });

  it("without a session, sends the browser to the platform's sign-in form, which signs in on the tenant's origin", async () => {
    const context = await browser.newContext();
    const site = siteOf(sup.url, signin.id);
    try {
      const page = await context.newPage();
      await page.goto(`${site}/files`);
      assert.equal(page.url(), `${sup.url}/auth/login?tenant=${signin.id}&next=%2Ffiles`);
      assert.equal(await page.inputValue("input[name=tenant]"), signin.id);
      await page.fill("input[name=key]", signin.key);
      const landed = page.waitForResponse((r) => r.url() === `${site}/files` && r.request().isNavigationRequest());
      await page.click("button[type=submit]");
      // 503 while it wakes, or 200 if it woke first: both are fine; a 302 back to sign-in is not.
      const status = (await landed).status();
      assert.ok([200, 503].includes(status), `landed with ${status}`);
      await page.waitForURL(`${site}/files`, { timeout: LAND_WITHIN_MS });
      // A function, not a string: the waiting page's strict CSP refuses string evaluation.
      await page.waitForFunction(() => !(globalThis as unknown as { document: { title: string } }).document.title.startsWith("Waking"), undefined, { timeout: LAND_WITHIN_MS });
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === SESSION_COOKIE);
      assert.equal(session?.domain, `${signin.id}.localhost`, "a host-only cookie of the tenant's origin");
      assert.ok(!cookies.some((c) => c.name === SESSION_COOKIE && c.domain !== `${signin.id}.localhost`), "no session cookie anywhere else");
    } finally {
      await context.close();
    }
  });
});
