import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker, inspectContainer } from "../support/docker";
import { dormer, dormerOk, CliResult } from "../support/dormer-cli";
import { login, siteOf } from "../support/supervisor";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:18088";
const repo = path.resolve(__dirname, "../..");
const stackFile = path.join(repo, "stacks", `Pulumi.${STACK}.yaml`);
/** A value no other part of the platform could print by chance: every search below looks for it. */
const VALUE = `tsh-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
const TENANT = "keeper";
const TENANTS = `version: 1
plans:
  free: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 1000, maxConnections: 10 }
tenants:
  - id: ${TENANT}
    plan: free
    env: { TITLE: "Keeper" }
    secretEnv: { API_TOKEN: api-token }
`;

/** `dormer secret set`, the value on stdin as a person pipes it (with echo's newline). */
const secretSet = (env: Record<string, string>, value: string): Promise<CliResult> =>
  dormer(["secret", "set", TENANT, "api-token", "--stack", STACK], env, `${value}\n`);

/** Every file under dir whose bytes hold the value. */
function filesHolding(dir: string, value: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => fs.readFileSync(f).includes(value));
}

async function logsOf(name: string): Promise<string> {
  const buf = (await docker.getContainer(name).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return buf.toString("utf8");
}

describe("e2e: a tenant secret from the stack's encrypted config (secretEnv)", function () {
  this.timeout(20 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-secrets-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  // The test writes a secret into the committed stack file; the file is put back as it was.
  const stackFileBefore = fs.readFileSync(stackFile, "utf8");
  const printed: string[] = [];
  let previewJson = "";

  before(async () => {
    fs.writeFileSync(tenantsFile, TENANTS);
  });

  after(async () => {
    await dormer(["down", "--stack", STACK], env);
    for (const kind of ["files", "data"]) await docker.getVolume(`${PREFIX}-tenant-${TENANT}-${kind}`).remove().catch(() => undefined);
    await docker.getVolume(`${PREFIX}-redis-data`).remove().catch(() => undefined);
    fs.writeFileSync(stackFile, stackFileBefore);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses validate and up while the referenced secret is not set, naming tenant, variable and secret", async () => {
    const expected = /keeper: secretEnv\.API_TOKEN: secret "api-token" is not set \(dormer secret set keeper api-token --stack ci\)/;
    const validate = await dormer(["validate", "--stack", STACK], env);
    assert.equal(validate.code, 1);
    assert.match(validate.stderr, expected);
    const up = await dormer(["up", "--stack", STACK], env);
    assert.equal(up.code, 1);
    assert.match(up.stderr, expected);
    assert.equal(await inspectContainer(`${PREFIX}-tenant-${TENANT}`), undefined, "nothing was created");
  });

  it("stores the value from stdin in the stack file encrypted, and lists the name only", async () => {
    const set = await secretSet(env, VALUE);
    assert.equal(set.code, 0, set.stderr);
    printed.push(set.stdout, set.stderr);
    const file = fs.readFileSync(stackFile, "utf8");
    assert.ok(!file.includes(VALUE), "the stack file holds no plain value");
    assert.match(file, /dormer:tenantSecrets:\n\s+keeper:\n\s+api-token:\n\s+secure: v1:/);
    const list = await dormerOk(["secret", "list", TENANT, "--stack", STACK], env);
    printed.push(list.stdout, list.stderr);
    assert.equal(list.stdout.trim(), "api-token\tset\tsecretEnv API_TOKEN");
    const validate = await dormerOk(["validate", "--stack", STACK], env);
    printed.push(validate.stdout, validate.stderr);
  });

  it("previews with the env masked and no policy refusal for the secret's variable", async () => {
    const preview = await dormer(["preview", "--stack", STACK, "--json"], env);
    printed.push(preview.stdout, preview.stderr);
    assert.equal(preview.code, 0, preview.stderr.slice(-3000));
    previewJson = preview.stdout;
    const steps = (JSON.parse(previewJson) as { steps: { type: string; name: string; changes: { property: string; to?: unknown }[] }[] }).steps;
    const container = steps.find((s) => s.type === "docker:index/container:Container" && s.name === TENANT)!;
    assert.equal(container.changes.find((c) => c.property === "envs")?.to, "[secret]");
    const text = await dormer(["preview", "--stack", STACK, "--diff"], env);
    printed.push(text.stdout, text.stderr);
    assert.equal(text.code, 0, text.stderr.slice(-3000));
  });

  it("brings the value into the container's environment", async () => {
    const up = await dormerOk(["up", "--stack", STACK], env);
    printed.push(up.stdout, up.stderr);
    const info = await inspectContainer(`${PREFIX}-tenant-${TENANT}`);
    assert.ok(info, "the tenant's container is declared");
    assert.ok(info.Config.Env.includes(`API_TOKEN=${VALUE}`), "exactly the value, without stdin's newline");
    assert.ok(info.Config.Env.includes("TITLE=Keeper"));
    assert.equal(info.Config.Labels["dormer.secret-env"], "API_TOKEN");
  });

  it("wakes the tenant through the gateway with the secret in its running process's environment", async () => {
    const shown = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> };
    const cookie = await login(GATEWAY, TENANT, shown.tenantKeys[TENANT]!);
    const res = await fetch(`${siteOf(GATEWAY, TENANT)}/messages`, { headers: { cookie, accept: "application/json" } });
    assert.equal(res.status, 200);
    const exec = await docker.getContainer(`${PREFIX}-tenant-${TENANT}`).exec({ Cmd: ["node", "-e", "process.stdout.write(process.env.API_TOKEN)"], AttachStdout: true });
    const stream = await exec.start({});
    const out = await new Promise<string>((resolve) => {
      let s = "";
      stream.on("data", (d: Buffer) => (s += d.toString("latin1")));
      stream.on("end", () => resolve(s));
    });
    assert.ok(out.includes(VALUE), "the app's process sees the value");
  });

  it("keeps the value out of preview output, outputs, the state file, labels and every log", async () => {
    const outputs = await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env);
    const plainOutputs = await dormerOk(["outputs", "--stack", STACK], env);
    const history = await dormerOk(["history", "--stack", STACK, "--json"], env);
    const places: Record<string, string> = {
      "preview --json": previewJson,
      "outputs --json --show-secrets": outputs.stdout,
      outputs: plainOutputs.stdout,
      history: history.stdout,
      "CLI output": printed.join("\n"),
      labels: JSON.stringify((await inspectContainer(`${PREFIX}-tenant-${TENANT}`))!.Config.Labels),
    };
    for (const role of ["supervisor-1", "supervisor-2", "gateway", "redis", `tenant-${TENANT}`]) places[`${role} logs`] = await logsOf(`${PREFIX}-${role}`);
    for (const [where, text] of Object.entries(places)) assert.ok(!text.includes(VALUE), `the value appears in ${where}`);
    assert.ok(places["preview --json"].length > 0 && places["supervisor-1 logs"].length + places["supervisor-2 logs"].length > 0, "the searches had something to search");
    assert.deepEqual(filesHolding(path.join(repo, ".dormer"), VALUE), [], "the state file (and all engine state) holds no plain value");
    assert.deepEqual(filesHolding(path.join(repo, "stacks"), VALUE), []);
  });
});
