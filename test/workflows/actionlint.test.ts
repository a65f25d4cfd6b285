import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

const root = path.resolve(__dirname, "../..");
const workflows = path.join(root, ".github/workflows");

interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { concurrency?: { group: string; "cancel-in-progress"?: boolean }; steps: { run?: string; with?: { script?: string } }[] }>;
}

const read = (file: string) => YAML.parse(fs.readFileSync(path.join(workflows, file), "utf8")) as Workflow;

describe("workflows: .github/workflows", function () {
  this.timeout(10 * 60_000);

  it("pass actionlint", () => {
    // Installed by scripts/install.sh (built once from the Go module proxy when none is on PATH).
    const found = spawnSync("bash", [path.join(root, "scripts/toolchain/actionlint.sh")], { encoding: "utf8" });
    assert.equal(found.status, 0, found.stderr);
    const files = fs.readdirSync(workflows).map((f) => path.join(workflows, f));
    const lint = spawnSync(found.stdout.trim(), ["-config-file", path.join(root, ".github/actionlint.yaml"), ...files], { encoding: "utf8", cwd: root });
    assert.equal(lint.status, 0, `actionlint found problems:\n${lint.stdout}${lint.stderr}`);
  });

  it("actionlint fails a broken workflow, so the check above can fail", () => {
    const found = spawnSync("bash", [path.join(root, "scripts/toolchain/actionlint.sh")], { encoding: "utf8" });
    const broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.event.nope.nope }\n";
    const lint = spawnSync(found.stdout.trim(), ["-"], { input: broken, encoding: "utf8" });
    assert.notEqual(lint.status, 0);
  });

  it("the pull-request job previews with the comment marker and fails on a mandatory violation", () => {
    const wf = read("tenants-preview.yml");
    assert.ok("pull_request" in wf.on);
    const steps = wf.jobs.preview.steps;
    const runs = steps.map((s) => s.run ?? "").join("\n");
    assert.match(runs, /bash scripts\/install\.sh/);
    assert.match(runs, /dormer validate/);
    assert.match(runs, /dormer preview --stack "\$DORMER_STACK" --markdown --summary-file "\$GITHUB_STEP_SUMMARY"/);
    assert.match(runs, /exit 1/);
    assert.ok(steps.some((s) => s.with?.script?.includes("<!-- dormer-preview stack=")), "updates its own comment by the marker");
  });

  it("the main-branch job applies with one concurrency group per stack, never cancelled halfway", () => {
    const wf = read("tenants-apply.yml");
    assert.deepEqual((wf.on.push as { branches: string[] }).branches, ["main"]);
    const job = wf.jobs.up;
    assert.match(job.concurrency?.group ?? "", /DORMER_STACK/);
    assert.equal(job.concurrency?.["cancel-in-progress"], false);
    assert.match(job.steps.map((s) => s.run ?? "").join("\n"), /dormer up --stack "\$DORMER_STACK"/);
  });

  it("take secrets only from the CI secret store", () => {
    for (const file of fs.readdirSync(workflows)) {
      const text = fs.readFileSync(path.join(workflows, file), "utf8");
      for (const m of text.matchAll(/(PULUMI_CONFIG_PASSPHRASE|CLOUDFLARE_API_TOKEN):\s*(.+)/g)) {
        assert.match(m[2], /^\$\{\{ secrets\.[A-Z_]+ \}\}$/, `${file}: ${m[1]} comes from secrets`);
      }
    }
  });
});
