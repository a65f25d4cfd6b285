import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { numbered } from "../../cli/commands/history";
import { digestOf, nonSecretSettings, recordFromMessage, recordMessage } from "../../cli/applied-record";

const example = fs.readFileSync(path.resolve(__dirname, "../../tenants.yaml"), "utf8");

describe("unit: the record an up leaves in its update message", () => {
  it("gives back the exact file and settings, and names the digest on the first line", () => {
    const record = { tenantsYaml: example, settings: { "dormer:gatewayPort": "18088" } };
    const message = recordMessage(record);
    assert.equal(message.split("\n")[0], `dormer up: tenants.yaml ${digestOf(example)}`);
    assert.deepEqual(recordFromMessage(message), record);
  });

  it("differs in digest when one character of the file does", () => {
    assert.notEqual(digestOf(example), digestOf(example.replace("plan: pro", "plan: free")));
  });

  it("never carries an encrypted setting", () => {
    const kept = nonSecretSettings({ "dormer:publicUrl": "http://x", "dormer:adminToken": { secure: "v1:abc" } });
    assert.deepEqual(kept, { "dormer:publicUrl": "http://x" });
  });

  it("finds no record in an update made without dormer, and calls a damaged one damaged", () => {
    assert.equal(recordFromMessage("pulumi up by hand"), undefined);
    assert.equal(recordFromMessage(undefined), undefined);
    const damaged = `x\ndormer-record:${Buffer.from("{}").toString("base64")}`;
    assert.throws(() => recordFromMessage(damaged));
  });
});

describe("unit: dormer rollback arguments", () => {
  const cli = path.resolve(__dirname, "../../cli/bin/dormer");
  it("refuses a rollback with no version before opening any stack", () => {
    const run = spawnSync(cli, ["rollback", "--stack", "ci"], { encoding: "utf8" });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /rollback needs the VERSION/);
  });
});

describe("unit: update versions", () => {
  it("numbers a file backend's all-zero history from the oldest, newest first", () => {
    const at = (kind: string) => ({ version: 0, kind, startTime: "", message: "", environment: {}, config: {}, result: "succeeded" });
    const rows = numbered([at("update"), at("destroy"), at("update")] as never);
    assert.deepEqual(rows.map((r) => [r.kind, r.version]), [["update", 3], ["destroy", 2], ["update", 1]]);
  });
});
