import * as fs from "fs";
import { AppliedRecord, nonSecretSettings } from "./applied-record";
import { stackConfig, tenantsFileOf } from "./stack-config";

/** What an `up` of this stack would apply now: the tenants file it reads and the stack's non-secret settings. */
export function currentRecord(stackName: string): AppliedRecord {
  return { tenantsYaml: fs.readFileSync(tenantsFileOf(stackName), "utf8"), settings: nonSecretSettings(stackConfig(stackName)) };
}
