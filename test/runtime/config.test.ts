import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

const MAIN = path.resolve(__dirname, "../../runtime/main.ts");

/** Runs the supervisor with only the given environment and returns how it ended. */
function runWith(env: Record<string, string>): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, ["--require", "tsx/cjs", MAIN], {
    cwd: path.resolve(__dirname, "../.."),
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe("runtime: configuration", function () {
  this.timeout(60_000);

  it("refuses to start without its settings, naming every missing one", () => {
    const { status, output } = runWith({});
    assert.equal(status, 1);
    for (const name of ["DORMER_STACK", "DORMER_REDIS_URL", "DORMER_SESSION_KEY", "DORMER_ADMIN_TOKEN", "DORMER_PUBLIC_URL"]) {
      assert.match(output, new RegExp(`${name}: is required`));
    }
  });

  it("names a bad value and why", () => {
    const { status, output } = runWith({
      DORMER_STACK: "x",
      DORMER_REDIS_URL: "http://not-redis",
      DORMER_SESSION_KEY: Buffer.alloc(8).toString("base64"),
      DORMER_ADMIN_TOKEN: "short",
      DORMER_PUBLIC_URL: "http://127.0.0.1:1",
      DORMER_IDENTITY: "cloudflare-access",
      DORMER_LISTEN_NETWORK: "dormer-x-core",
      DORMER_WATCHDOG_INTERVAL_MS: "1000",
      DORMER_WATCHDOG_TIMEOUT_MS: "2000",
      DORMER_TRUSTED_PROXIES: "10.1.0.0/24, 10.0.0.0/33,gateway",
      DORMER_LOGIN_FAILURES_PER_CLIENT: "10",
      DORMER_LOGIN_FAILURES_PER_TENANT: "5",
      DORMER_DRAIN_SECONDS: "0",
    });
    assert.equal(status, 1);
    assert.match(output, /DORMER_REDIS_URL: must be a redis:\/\/ URL/);
    assert.match(output, /DORMER_SESSION_KEY: must be at least 32 bytes/);
    assert.match(output, /DORMER_ADMIN_TOKEN: must be at least 24 characters/);
    assert.match(output, /DORMER_WATCHDOG_TIMEOUT_MS: must not be longer than DORMER_WATCHDOG_INTERVAL_MS/);
    assert.match(output, /DORMER_LISTEN_NETWORK: needs DORMER_SELF_CONTAINER/);
    assert.match(output, /DORMER_TRUSTED_PROXIES: \\"10\.0\.0\.0\/33\\" is not an IP address or CIDR/);
    assert.match(output, /DORMER_TRUSTED_PROXIES: \\"gateway\\" is not an IP address or CIDR/);
    assert.doesNotMatch(output, /10\.1\.0\.0\/24/);
    assert.match(output, /DORMER_LOGIN_FAILURES_PER_TENANT: must not be lower than DORMER_LOGIN_FAILURES_PER_CLIENT/);
    assert.match(output, /DORMER_DRAIN_SECONDS: Too small: expected number to be >=1/);
    assert.match(output, /cloudflare-access needs DORMER_ACCESS_TEAM_DOMAIN and DORMER_ACCESS_AUDIENCE/);
  });
});
