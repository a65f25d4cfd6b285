// What one `dormer up` applied, carried in that update's message in the stack's backend, so any machine that
// reads the backend (a CI runner, a colleague) can list and re-apply it. See docs/operating.md, "History".
import { createHash } from "crypto";
import { gunzipSync, gzipSync } from "zlib";

export interface AppliedRecord {
  /** The tenants.yaml text exactly as applied. */
  tenantsYaml: string;
  /** The stack's committed settings, secret ones left out. */
  settings: Record<string, unknown>;
}

const MARK = "dormer-record:";

export function digestOf(tenantsYaml: string): string {
  return `sha256:${createHash("sha256").update(tenantsYaml).digest("hex").slice(0, 16)}`;
}

/** Settings Pulumi keeps encrypted are `{secure: …}`; none of them may enter a record, even encrypted. */
export function nonSecretSettings(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).filter(([, v]) => !(typeof v === "object" && v !== null && "secure" in v)),
  );
}

/** First line readable in `pulumi stack history`; the second carries the whole record, compressed. */
export function recordMessage(record: AppliedRecord, note = "dormer up"): string {
  const packed = gzipSync(Buffer.from(JSON.stringify(record))).toString("base64");
  return `${note}: tenants.yaml ${digestOf(record.tenantsYaml)}\n${MARK}${packed}`;
}

/** The record in an update's message, or undefined for an update made without dormer (or before it recorded). */
export function recordFromMessage(message: string | undefined): AppliedRecord | undefined {
  const line = (message ?? "").split("\n").find((l) => l.startsWith(MARK));
  if (!line) return undefined;
  const parsed = JSON.parse(gunzipSync(Buffer.from(line.slice(MARK.length), "base64")).toString("utf8")) as AppliedRecord;
  if (typeof parsed.tenantsYaml !== "string" || typeof parsed.settings !== "object" || parsed.settings === null) {
    throw new Error("an update's dormer record is damaged: it lacks tenantsYaml or settings");
  }
  return parsed;
}
