import * as fs from "fs";
import * as path from "path";
import { pipeline } from "stream/promises";
import { Stack } from "@pulumi/pulumi/automation";
import { verifyArchive, writeArchive } from "./archive";
import { readVolumes, TenantVolumes, writeVolumes } from "./helper";
import { whileHeld } from "./hold-client";
import { adminClient, AdminClient } from "../admin-client";
import { differences, EntryDigests, Manifest, MANIFEST_NAME, MANIFEST_SUM_NAME } from "./manifest";
import { TarReader } from "./tar-reader";
import { tenantOnDocker } from "./tenant-docker";
import { backupDirOf, baseImageOf } from "../stack-config";

/** What every backup, restore and purge of one stack needs. */
export interface BackupContext {
  stack: string;
  api: AdminClient;
  /** The helpers' image: the stack's base, which has GNU tar. */
  image: string;
  dir: string;
  /** The tenants the stack's last update declared. */
  declared: string[];
}

export async function backupContext(stackName: string, stack: Stack): Promise<BackupContext> {
  const outputs = await stack.outputs();
  const gateway = outputs.gatewayUrl?.value as string | undefined;
  const publicUrl = outputs.publicUrl?.value as string | undefined;
  const token = outputs.adminToken?.value as string | undefined;
  return {
    stack: stackName,
    // Through the gateway on this host, as the platform's origin: on prod the public name is behind Access.
    api: adminClient(gateway ?? "http://(the stack has no gatewayUrl output: is it up?)", publicUrl ? new URL(publicUrl).host : "", token ?? ""),
    image: baseImageOf(stackName),
    dir: backupDirOf(stackName),
    declared: (outputs.tenants?.value as string[] | undefined) ?? [],
  };
}

export interface BackupResult {
  file: string;
  manifest: Manifest;
  ms: number;
}

const stampOf = (d: Date) => d.toISOString().replace(/[:.]/g, "-");

/** The tenant's volumes on this stack, by kind; an error naming the tenant when it has none. */
async function volumesOf(ctx: BackupContext, tenant: string): Promise<{ volumes: TenantVolumes; plan?: string }> {
  const found = await tenantOnDocker(ctx.stack, tenant);
  if (Object.keys(found.volumes).length === 0) throw new Error(`tenant ${tenant} has no volumes on stack ${ctx.stack}`);
  return found;
}

/** The entries of the volumes as they are now, hashed from a read-only helper's tar stream. */
async function digestVolumes(ctx: BackupContext, volumes: TenantVolumes) {
  const helper = readVolumes(ctx.image, ctx.stack, volumes);
  const digests = new EntryDigests();
  const reader = new TarReader(digests);
  for await (const chunk of helper.stdout) reader.push(chunk as Buffer);
  reader.finish();
  await helper.done;
  return digests.entries;
}

/**
 * Writes a consistent archive of the tenant's volumes: the tenant is held asleep while they are copied (by
 * this call, unless the caller holds it already).
 */
export async function backupTenant(ctx: BackupContext, tenant: string, opts: { held?: boolean } = {}): Promise<BackupResult> {
  const { volumes, plan } = await volumesOf(ctx, tenant);
  fs.mkdirSync(ctx.dir, { recursive: true });
  const file = path.join(ctx.dir, `${tenant}-${stampOf(new Date())}.tar`);
  const started = Date.now();
  const copy = async () => {
    const helper = readVolumes(ctx.image, ctx.stack, volumes);
    try {
      return await writeArchive(helper.stdout, helper.done, file, { stack: ctx.stack, tenant, plan: plan ?? "unknown", volumes });
    } finally {
      helper.child.kill();
    }
  };
  const manifest = opts.held ? await copy() : await whileHeld(ctx.api, tenant, copy);
  return { file, manifest, ms: Date.now() - started };
}

export class RestoreRefused extends Error {}

/**
 * Verifies the whole archive, then, with the tenant held asleep, unpacks it over the tenant's volumes and
 * checks them against the manifest. Nothing is touched before the archive is known to be whole and the
 * tenant's.
 */
export async function restoreTenant(ctx: BackupContext, tenant: string, archive: string, forceTenant: boolean): Promise<{ manifest: Manifest; ms: number }> {
  const started = Date.now();
  const manifest = await verifyArchive(archive);
  if (manifest.tenant !== tenant && !forceTenant) {
    throw new RestoreRefused(`archive ${archive} is a backup of tenant ${manifest.tenant}, not ${tenant}: nothing restored (--force-tenant restores it into ${tenant} anyway)`);
  }
  const { volumes } = await volumesOf(ctx, tenant);
  const missing = Object.keys(manifest.volumes).filter((k) => !volumes[k]);
  if (missing.length > 0) {
    throw new RestoreRefused(`tenant ${tenant} has no ${missing.join(", ")} volume on stack ${ctx.stack} for the archive's: declare it and run dormer up first; nothing restored`);
  }
  const targets = Object.fromEntries(Object.keys(manifest.volumes).map((k) => [k, volumes[k]]));
  await whileHeld(ctx.api, tenant, async () => {
    const helper = writeVolumes(ctx.image, ctx.stack, targets, [MANIFEST_NAME, MANIFEST_SUM_NAME]);
    const fed = pipeline(fs.createReadStream(archive), helper.stdin).then(() => undefined, (err: Error) => err);
    // The helper's own message says more than the broken pipe its failure leaves.
    await helper.done;
    const feedError = await fed;
    if (feedError) throw feedError;
    const wrong = differences(manifest.entries, await digestVolumes(ctx, targets));
    if (wrong.length > 0) throw new Error(`tenant ${tenant}'s volumes differ from the archive after the restore:\n  ${wrong.join("\n  ")}`);
  });
  return { manifest, ms: Date.now() - started };
}

/** The archives of a tenant in the stack's backup folder, newest first. */
export function archivesOf(ctx: BackupContext, tenant: string): string[] {
  if (!fs.existsSync(ctx.dir)) return [];
  const re = new RegExp(`^${tenant.replace(/[^a-z0-9-]/gi, "")}-\\d{4}-.*\\.tar$`);
  return fs.readdirSync(ctx.dir).filter((f) => re.test(f)).sort().reverse().map((f) => path.join(ctx.dir, f));
}

/**
 * The newest archive in the backup folder that holds exactly what the tenant's volumes hold now, or a reason
 * there is none.
 */
export async function currentBackupOf(ctx: BackupContext, tenant: string, volumes: TenantVolumes): Promise<{ file?: string; why: string }> {
  const archives = archivesOf(ctx, tenant);
  if (archives.length === 0) return { why: `no backup of tenant ${tenant} in ${ctx.dir}` };
  const now = await digestVolumes(ctx, volumes);
  for (const file of archives) {
    const manifest = await verifyArchive(file).catch(() => undefined);
    if (manifest?.tenant === tenant && differences(manifest.entries, now).length === 0) return { file, why: "" };
  }
  return { why: `none of the ${archives.length} backups of tenant ${tenant} in ${ctx.dir} holds its volumes as they are now` };
}
