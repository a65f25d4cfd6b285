import { UpdateSummary } from "@pulumi/pulumi/automation";
import { Invocation } from "../args";
import { digestOf, recordFromMessage } from "../applied-record";
import { openDormerStack } from "../project";
import { changeLine } from "../report";

/** One line per update of the stack, newest first, with the digest of the tenants.yaml it applied. */
export async function history(inv: Invocation): Promise<number> {
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const rows = numbered(await stack.history()).filter((u) => u.kind === "update").map(rowOf);
  if (inv.json) {
    console.log(JSON.stringify(rows, null, 2));
  } else if (rows.length === 0) {
    console.log(`stack ${inv.stack} has no updates`);
  } else {
    for (const r of rows) {
      console.log(`${String(r.version).padStart(4)}  ${r.time}  ${r.result.padEnd(9)} ${r.tenants.padEnd(24)} ${r.commit.padEnd(12)} ${r.changes}`);
    }
  }
  return 0;
}

/**
 * The file backend reports every update as version 0; its history is complete and newest first, so the
 * position from the oldest is the version a cloud backend would report.
 */
export function numbered(all: UpdateSummary[]): UpdateSummary[] {
  return all.map((u, i) => ({ ...u, version: u.version || all.length - i }));
}

function rowOf(u: UpdateSummary) {
  const record = recordFromMessage(u.message);
  return {
    version: u.version,
    time: new Date(u.startTime).toISOString().replace(/\.\d+Z$/, "Z"),
    result: u.result,
    tenants: record ? `tenants ${digestOf(record.tenantsYaml)}` : "(no dormer record)",
    // Pulumi notes the checkout's HEAD when the program ran inside a git work tree.
    commit: (u.environment?.["git.head"] ?? "-").slice(0, 12),
    changes: changeLine(u.resourceChanges),
  };
}
