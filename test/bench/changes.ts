// The changes part of `npm run bench` (BENCH_ONLY=changes): each kind of `dormer up` on a live bench stack
// (the gateway's rate limit, the supervisor's idle cap, then an awake tenant's memory, cpus and egress) under
// a GET every 20 ms and a held WebSocket; the errors, the longest gap and how the WebSocket fared, per change.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { changeUnderTraffic } from "../support/change-under-traffic";
import { docker } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { editFor, PLATFORM_CHANGES } from "../support/platform-changes";
import { StackFile } from "../support/stack-file";
import { login, siteOf } from "../support/supervisor";

const STACK = "bench";
const GATEWAY = "http://127.0.0.1:28088";
const TENANTS = `version: 1
plans:
  bench: { cpus: 0.5, memoryMb: 256, idleTimeoutMinutes: 1440, egress: false, dailyRequestQuota: unlimited, maxConnections: 300 }
tenants:
  - id: acme
    plan: bench
  - id: initech
    plan: bench
`;

export async function changesBench(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-bench-changes-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  fs.writeFileSync(tenantsFile, TENANTS);
  const stackFile = new StackFile(STACK);
  const lines = [
    "| change | what `up` did | GETs | failed | longest gap | slowest | WebSocket | up took |",
    "|---|---|---|---|---|---|---|---|",
  ];
  try {
    console.error(`bench: changes: dormer up --stack ${STACK}`);
    await dormerOk(["up", "--stack", STACK], env);
    const keys = (JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> }).tenantKeys;
    const cookie = await login(GATEWAY, "acme", keys.acme!);
    const woken = await fetch(`${siteOf(GATEWAY, "acme")}/messages?limit=1`, { headers: { cookie } });
    if (woken.status !== 200) throw new Error(`waking acme answered ${woken.status}`);
    const ctx = { stackFile, tenantsFile, tenant: "acme", rateLimitPerMinute: 6_000_060, maxIdleTimeoutSeconds: 3600, memoryMb: 384, cpus: 0.75 };
    for (const change of PLATFORM_CHANGES) {
      console.error(`bench: changes: ${change}`);
      editFor(change, ctx);
      const before = await containerIds();
      const since = Math.floor(Date.now() / 1000);
      const r = await changeUnderTraffic({ gateway: GATEWAY, tenant: "acme", cookie }, () => dormerOk(["up", "--stack", STACK], env));
      if (r.http.failures.length > 0) console.error(`bench: changes: ${change}: what the gateway logged about it:\n${await gatewayTrouble(since)}`);
      const replaced = replacedBetween(before, await containerIds());
      const ws = r.ws.closes.length === 0 ? "stayed open" : `closed ${r.ws.closes.join(", ")}; reconnected${r.ws.reconnectFailures.length ? ` after ${r.ws.reconnectFailures.length} refusals` : ""}`;
      const failed = r.http.failures.length === 0 ? "0" : `**${r.http.failures.length}** (${[...new Set(r.http.failures)].slice(0, 3).join("; ")})`;
      lines.push(`| ${change} | ${replaced} | ${r.http.sent} | ${failed} | ${r.http.longestGapMs} ms | ${r.http.slowestMs} ms | ${ws} | ${r.applySeconds.toFixed(1)} s |`);
    }
  } finally {
    stackFile.restore();
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

/** The gateway's error-log lines and its access-log lines for answers of 500 and above, since a time. */
async function gatewayTrouble(since: number): Promise<string> {
  const logs = (await docker.getContainer(`dormer-${STACK}-gateway`).logs({ stdout: true, stderr: true, since })) as unknown as Buffer;
  return logs
    .toString("utf8")
    .split("\n")
    .filter((line) => /\[(warn|error|crit|alert|emerg)\]|"status":5\d\d/.test(line))
    .join("\n");
}

/** Every container of the stack by name, with its id. */
async function containerIds(): Promise<Map<string, string>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`dormer.stack=${STACK}`] } });
  return new Map(list.map((c) => [c.Names[0]!.replace(/^\//, "").replace(`dormer-${STACK}-`, ""), c.Id]));
}

function replacedBetween(before: Map<string, string>, after: Map<string, string>): string {
  const replaced = [...after].filter(([name, id]) => before.has(name) && before.get(name) !== id).map(([name]) => name);
  return replaced.length === 0 ? "no container replaced" : `replaced ${replaced.sort().join(", ")}`;
}
