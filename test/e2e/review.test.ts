import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PlannedStep, PolicyFinding } from "../../cli/plan";
import { policyRules } from "../../cli/policy";
import { renderComment } from "../../cli/review/comment";
import { docker } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const example = fs.readFileSync(path.resolve(__dirname, "../../tenants.yaml"), "utf8");
/** A Stripe-shaped live key: what a careless pull request would paste into a tenant's env. */
const CREDENTIAL = "sk_live_4eC39HqLyjWDarjtT1zdp7dcQ9vR2mXk";
/** Where a run may leave the comment it produced, as docs/reviewing.md's example is made. */
const EXAMPLE_OUT = process.env.DORMER_REVIEW_EXAMPLE_FILE;

interface Tenant {
  id: string;
  plan: string;
  limits?: Record<string, unknown>;
  env?: Record<string, string>;
}

interface PreviewJson {
  changeSummary: Record<string, number>;
  steps: PlannedStep[];
  policy: PolicyFinding[];
}

/** Every string inside an output value (outputs may be objects of keys per tenant). */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

describe("e2e: reviewing a tenants.yaml pull request on the ci stack", function () {
  this.timeout(20 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-review-"));
  const upFile = path.join(dir, "tenants.yaml");
  const prFile = path.join(dir, "tenants-pr.yaml");
  const declared = ["acme", "globex", "initech", "umbrella"];
  let secrets: string[] = [];
  let json: PreviewJson;
  let markdown = "";
  let engineOutput = "";
  let markdownExit = 0;

  before(async () => {
    // The example plus a tenant the pull request leaves alone, so "unchanged" has something to be about.
    const base = YAML.parse(example) as { tenants: Tenant[] };
    base.tenants.push({ id: "umbrella", plan: "free" });
    fs.writeFileSync(upFile, YAML.stringify(base));
    await dormerOk(["up", "--stack", STACK], { DORMER_TENANTS_FILE: upFile });

    const pr = YAML.parse(YAML.stringify(base)) as { tenants: Tenant[] };
    const find = (id: string) => pr.tenants.find((t) => t.id === id)!;
    find("globex").limits = { memoryMb: 512 }; // (a) free plan's 256 → 512
    find("initech").limits = { ...find("initech").limits, cpus: 0.5 }; // (b) 0.25 → 0.5
    pr.tenants.push({ id: "hooli", plan: "free" }); // (c)
    pr.tenants = pr.tenants.filter((t) => t.id !== "acme"); // (d)
    pr.tenants.push({ id: "vandelay", plan: "free", env: { STRIPE_API_KEY: CREDENTIAL } }); // (e)
    fs.writeFileSync(prFile, YAML.stringify(pr));

    const shown = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"])).stdout) as Record<string, unknown>;
    const hidden = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json"])).stdout) as Record<string, unknown>;
    secrets = Object.keys(hidden)
      .filter((k) => hidden[k] === "[secret]")
      .flatMap((k) => strings(shown[k]))
      .filter((s) => s.length >= 8);

    const env = { DORMER_TENANTS_FILE: prFile };
    const jsonRun = await dormer(["preview", "--stack", STACK, "--json"], env);
    assert.equal(jsonRun.code, 1, jsonRun.stderr.slice(-3000));
    json = JSON.parse(jsonRun.stdout) as PreviewJson;
    const started = Date.now();
    const summaryFile = path.join(dir, "summary.md");
    const mdRun = await dormer(["preview", "--stack", STACK, "--markdown", "--summary-file", summaryFile], env);
    console.log(`      (preview --markdown of ${declared.length} tenants, 5 changes: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    markdownExit = mdRun.code;
    markdown = mdRun.stdout;
    engineOutput = [jsonRun.stdout, jsonRun.stderr, mdRun.stderr, fs.readFileSync(summaryFile, "utf8")].join("\n");
    if (EXAMPLE_OUT) fs.writeFileSync(EXAMPLE_OUT, markdown);
  });

  after(async () => {
    await dormer(["down", "--stack", STACK], { DORMER_TENANTS_FILE: upFile });
    for (const id of declared) {
      for (const kind of ["files", "data"]) await docker.getVolume(`${PREFIX}-tenant-${id}-${kind}`).remove().catch(() => undefined);
    }
    await docker.getVolume(`${PREFIX}-redis-data`).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const containerStep = (tenant: string) => json.steps.find((s) => s.tenant === tenant && s.type === "docker:index/container:Container");

  it("the JSON carries memory 256 → 512 as an update of globex's container", () => {
    const step = containerStep("globex");
    assert.equal(step?.op, "update");
    const memory = step.changes.find((c) => c.property === "memory");
    assert.deepEqual(memory, { property: "memory", kind: "update", replaces: false, from: 256, to: 512 });
  });

  it("the JSON carries cpus as the key that replaces initech's container", () => {
    const step = containerStep("initech");
    assert.equal(step?.op, "replace");
    assert.deepEqual(step.replaceKeys, ["cpus"]);
    const cpus = step.changes.find((c) => c.property === "cpus");
    assert.deepEqual(cpus, { property: "cpus", kind: "update-replace", replaces: true, from: "0.25", to: "0.5" });
  });

  it("the JSON has the additions and the removal, and nothing of the untouched tenant", () => {
    assert.equal(containerStep("hooli")?.op, "create");
    const vandelay = containerStep("vandelay");
    assert.equal(vandelay?.op, "create");
    const envs = vandelay.changes.find((c) => c.property === "envs")?.to as string[];
    assert.ok(envs.includes("STRIPE_API_KEY=[secret]"), "the refused credential is masked, not copied out");
    assert.equal(containerStep("acme")?.op, "delete");
    assert.equal(json.steps.some((s) => s.tenant === "umbrella" || s.op === "same"), false);
    const tenants = new Set(json.steps.map((s) => s.tenant).filter((t) => t !== undefined));
    assert.deepEqual([...tenants].sort(), ["acme", "globex", "hooli", "initech", "vandelay"]);
  });

  it("the credential fails preview (exit 1) naming the policy, the tenant and the property", () => {
    assert.equal(markdownExit, 1);
    const finding = json.policy.find((f) => f.level === "mandatory");
    assert.equal(finding?.policy, "tenant-env-holds-no-credential");
    assert.equal(finding.tenant, "vandelay");
    assert.match(engineOutput, /mandatory policy violated: tenant-env-holds-no-credential \(dormer\): [\s\S]*?tenant vandelay: env\.STRIPE_API_KEY: looks like a credential/);
    assert.match(markdown, /\| ❌ \*\*violated\*\* \| `tenant-env-holds-no-credential` \| mandatory \| tenant \*\*vandelay\*\* \|/);
  });

  it("the comment starts with its marker and the counts the engine planned", () => {
    assert.ok(markdown.startsWith(`<!-- dormer-preview stack=${STACK} -->\n`));
    const counts = json.changeSummary;
    assert.ok(counts.create > 0 && counts.update > 0 && counts.replace > 0 && counts.delete > 0, JSON.stringify(counts));
    const line = /^\*\*(.+)\*\*$/m.exec(markdown)?.[1] ?? "";
    for (const [op, word] of [["create", "created"], ["update", "updated"], ["replace", "replaced"], ["delete", "deleted"]] as const) {
      assert.match(line, new RegExp(`\\b${counts[op]} to be ${word}\\b`), line);
    }
  });

  it("the comment warns of initech's replacement and acme's removal in plain words", () => {
    assert.match(markdown, /> \[!WARNING\]/);
    assert.match(markdown, /> - \*\*initech\*\*: its container is replaced because `cpus` changes/);
    assert.match(markdown, /> - \*\*acme\*\* is removed from tenants\.yaml/);
    assert.match(markdown, /docker volume ls --filter label=dormer\.tenant=acme/);
  });

  it("the comment has exactly one section per changed tenant, and none for the untouched one", () => {
    const sections = [...markdown.matchAll(/<summary><b>([^<]+)<\/b>/g)].map((m) => m[1]).filter((t) => !t.startsWith("platform"));
    assert.deepEqual(sections, ["acme", "globex", "hooli", "initech", "vandelay"]);
    assert.doesNotMatch(markdown, /umbrella/);
    assert.match(markdown, /<summary><b>hooli<\/b> \(new tenant\)/);
    assert.match(markdown, /<summary><b>acme<\/b> \(removed\)/);
  });

  it("the comment shows only changed resources and properties", () => {
    const globex = /<summary><b>globex<\/b>[\s\S]*?<\/details>/.exec(markdown)?.[0] ?? "";
    assert.match(globex, /\| `memory` \| `256` \| `512` \|/);
    // globex's network, volumes and key are as before: a reviewer does not read about them.
    assert.doesNotMatch(globex, /^\| (network|volume|secret) `/m);
    const changed = new Set(json.steps.map((s) => s.name));
    const rows = [...markdown.matchAll(/^\| [a-z ]+ `([^`]+)` \|/gm)].map((m) => m[1]);
    assert.ok(rows.length > 0);
    for (const name of rows) assert.ok(changed.has(name), `${name} has a row but no planned change`);
  });

  it("no secret value appears in the comment, the JSON, the job summary or the terminal", () => {
    assert.ok(secrets.length > 0, "the stack has generated secrets to look for");
    for (const secret of [...secrets, CREDENTIAL]) {
      assert.equal(markdown.includes(secret), false, "a secret in the comment");
      assert.equal(engineOutput.includes(secret), false, "a secret in the JSON, summary or terminal");
    }
  });

  it("past the limit drops tenant sections but keeps the counts and warnings of the engine's real plan", () => {
    const input = { stack: STACK, counts: json.changeSummary, steps: json.steps, rules: policyRules(), findings: json.policy, fullOutput: "the job summary" };
    const full = renderComment(input);
    // Room for everything but the last two tenant sections.
    const sized = renderComment({ ...input, limit: full.length - 1 });
    assert.ok(sized.length < full.length);
    const head = full.slice(0, full.indexOf("### Tenants"));
    assert.ok(sized.startsWith(head), "the marker, the counts and every warning stay as they were");
    assert.match(sized, /_\d of 5 tenant sections are left out to keep this comment under \d+ characters; the full preview is in the job summary\._/);
    assert.match(sized, /### Policy/);
  });
});
