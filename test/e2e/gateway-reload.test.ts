import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { ConfigMap, EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../cli/stack";
import { ensurePlugins, pulumiBinDir } from "../../cli/toolchain";
import { PlanCollector } from "../../cli/plan";
import { renderComment } from "../../cli/review/comment";
import { Gateway } from "../../components/gateway";
import { TENANT_APP_PORT } from "../../runtime/engine/labels";
import { RawWebSocket } from "../tenant-app/ws-client";
import { inspectContainer } from "../support/docker";
import { gatewayImage } from "../support/gateway";
import { freePort } from "../support/ports";
import { tenantAppImage } from "../support/tenants";

/**
 * The Gateway component as the platform declares it, under a real engine run with the stand-in plugins and
 * the real gateway image. The tenant app stands in for the supervisor behind it: it answers HTTP and
 * WebSockets, which is all the gateway forwards.
 */
function program(prefix: string, hostPort: number, gatewayImageId: string, backendImage: string) {
  return async () => {
    const cfg = new pulumi.Config("gw");
    const core = new docker.Network("core", { name: `${prefix}-core`, internal: true });
    const edge = new docker.Network("edge", { name: `${prefix}-edge` });
    const backend = new docker.Container("backend", {
      name: `${prefix}-backend`,
      image: backendImage,
      envs: ["DORMER_TENANT_ID=acme", `PORT=${TENANT_APP_PORT}`, "FILES_DIR=/tmp/files", "DATA_DIR=/tmp/state"],
      networksAdvanced: [{ name: core.name }],
    });
    const gateway = new Gateway("gateway", {
      prefix,
      stack: "gw-e2e",
      image: gatewayImageId,
      supervisorHosts: [backend.name],
      supervisorPort: TENANT_APP_PORT,
      coreNetwork: core.name,
      edgeNetwork: edge.name,
      hostPort,
      rateLimitPerMinute: cfg.requireNumber("rateLimitPerMinute"),
      rateLimitBurst: cfg.requireNumber("rateLimitBurst"),
      maxBodyMb: 10,
      platformHost: "127.0.0.1",
      tenantBaseDomain: "localhost",
      openFiles: 4096,
      workerConnections: 1024,
    });
    return { configApplied: gateway.configApplied };
  };
}

/** A GET every 20 ms and one open WebSocket through the gateway, every failure kept with its time. */
class SteadyTraffic {
  readonly failures: string[] = [];
  requests = 0;
  longestMs = 0;
  private running = true;
  private loop?: Promise<void>;
  ws?: RawWebSocket;
  wsClosed = false;

  constructor(private readonly port: number) {}

  async start(): Promise<void> {
    this.ws = await RawWebSocket.connect(this.port, { "X-User-ID": "u1", "X-Tenant-ID": "acme" });
    void this.ws.ended.then(() => (this.wsClosed = true));
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        try {
          const res = await fetch(`http://127.0.0.1:${this.port}/health`);
          await res.arrayBuffer();
          if (res.status !== 200) this.failures.push(`${new Date().toISOString()} status ${res.status}`);
        } catch (err) {
          this.failures.push(`${new Date().toISOString()} ${(err as Error).cause ?? (err as Error).message}`);
        }
        this.requests++;
        this.longestMs = Math.max(this.longestMs, Date.now() - started);
        await new Promise((r) => setTimeout(r, Math.max(0, 20 - (Date.now() - started))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

describe("e2e: a gateway config change is a reload in the running gateway, under steady traffic", function () {
  this.timeout(15 * 60_000);
  const prefix = `dormer-gw-${crypto.randomBytes(3).toString("hex")}`;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-gw-"));
  let stack: Stack;
  let port: number;
  let gatewayId: string;
  const traffic = () => new SteadyTraffic(port);
  let steady: SteadyTraffic;

  const config = (rate: number, burst: number): ConfigMap => ({ "gw:rateLimitPerMinute": { value: String(rate) }, "gw:rateLimitBurst": { value: String(burst) } });
  const quiet = { onOutput: () => undefined };

  before(async function () {
    this.timeout(15 * 60_000);
    const pulumiDir = pulumiBinDir();
    ensurePlugins(pulumiDir);
    port = await freePort();
    const image = gatewayImage();
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), "name: dormer-gw\nruntime: nodejs\n");
    stack = await openStack({
      stackName: "gw",
      projectName: "dormer-gw",
      program: program(prefix, port, image, tenantAppImage()),
      workDir,
      stateDir: path.join(workDir, ".dormer"),
      pulumiDir,
      passphrase: "gw",
    });
    await stack.setAllConfig(config(6000, 1000));
    const first = await stack.up(quiet);
    assert.equal(first.summary.result, "succeeded");
    assert.match(String(first.outputs.configApplied.value), /gateway started with the new configuration/);
    gatewayId = (await inspectContainer(`${prefix}-gateway`))!.Id;
    steady = traffic();
    await steady.start();
  });

  after(async () => {
    await steady?.stop();
    steady?.ws?.socket.destroy();
    if (stack) await stack.destroy(quiet).catch((err) => console.error(err));
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it("previews the change as the gateway-config container, naming the setting; the gateway itself is untouched", async () => {
    await stack.setAllConfig(config(4000, 500));
    const plan = new PlanCollector();
    await stack.preview({ ...quiet, onEvent: (e: EngineEvent) => plan.onEvent(e) });
    const changed = plan.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
    assert.deepEqual(changed, ["replace gateway-config"]);
    const step = plan.steps.find((s) => s.name === "gateway-config")!;
    const labels = step.changes.find((c) => c.property === "labels")!;
    const names = (v: unknown) => (v as { label: string; value: string }[]).map((l) => `${l.label}=${l.value}`);
    assert.ok(names(labels.to).includes("dormer.gateway.rateLimitPerMinute=4000"));
    assert.ok(names(labels.from).includes("dormer.gateway.rateLimitPerMinute=6000"));
    const comment = renderComment({ stack: "gw", counts: plan.counts(), steps: plan.steps, rules: [], findings: [], fullOutput: "the log" });
    assert.match(comment, /the gateway reloads its configuration \(`rateLimitBurst` `1000` → `500`, `rateLimitPerMinute` `6000` → `4000`\)/);
    assert.doesNotMatch(comment, /Requests through it fail/);
  });

  it("applies it with a real up: nginx reloads in the same container, no request fails, the WebSocket stays open", async () => {
    const before = steady.requests;
    const result = await stack.up(quiet);
    assert.equal(result.summary.result, "succeeded");
    assert.match(String(result.outputs.configApplied.value), /gateway reloaded the new configuration/);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(steady.requests - before > 20, `traffic kept flowing (${steady.requests - before} requests during the up)`);
    assert.deepEqual(steady.failures, []);
    assert.equal((await inspectContainer(`${prefix}-gateway`))!.Id, gatewayId, "the same gateway container");
    assert.equal(steady.wsClosed, false, "the WebSocket opened before the reload is still open");
    steady.ws!.send(1, "still there");
    assert.match((await steady.ws!.next()).payload.toString(), /still there/);
  });

  it("fails the up with nginx's message for a config nginx rejects, and keeps serving the previous one", async () => {
    await stack.setAllConfig(config(0, 500));
    await assert.rejects(stack.up(quiet), (err: Error) => {
      assert.match(err.message, /gateway: the new configuration was not applied \(exit code 1\)/);
      assert.match(err.message, /\[emerg\] \d+#\d+: invalid rate "rate=0r\/m" in nginx\.conf:\d+\n\s*nginx: configuration file nginx\.conf test failed/);
      return true;
    });
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(steady.failures, []);
    assert.equal((await inspectContainer(`${prefix}-gateway`))!.Id, gatewayId, "the same gateway container");
    assert.equal(steady.wsClosed, false);
  });

  it("has the good new limit in force after all: a burst past it is refused with 429 naming 4000 a minute", async () => {
    await steady.stop();
    console.log(`      steady traffic: ${steady.requests} requests, ${steady.failures.length} failed, longest ${steady.longestMs} ms`);
    const answers = await Promise.all(
      Array.from({ length: 700 }, () => fetch(`http://127.0.0.1:${port}/health`).then(async (r) => ({ status: r.status, body: await r.text() }))),
    );
    const refused = answers.filter((a) => a.status === 429);
    assert.ok(refused.length > 0, "some of the burst was refused");
    assert.deepEqual(JSON.parse(refused[0].body), { error: "too many requests", limit_per_minute: 4000 });
  });
});
