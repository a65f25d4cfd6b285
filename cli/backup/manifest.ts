import * as crypto from "crypto";
import { EntryType, TarEntry, TarHandlers } from "./tar-reader";

export const FORMAT = "dormer-backup/1";
/** The manifest's name inside the archive: its last entry, after the volumes' own. */
export const MANIFEST_NAME = "manifest.json";
/** The manifest's own sha256, the very last entry: a manifest damaged into other valid JSON is still found out. */
export const MANIFEST_SUM_NAME = "manifest.json.sha256";

export interface ManifestEntry {
  /** "files/notes/a.txt": the volume's kind, then the path inside the volume. */
  path: string;
  type: EntryType;
  size: number;
  sha256?: string;
  linkTarget?: string;
}

/** What a backup says about itself: whose volumes, when, and every entry with its size and checksum. */
export interface Manifest {
  format: typeof FORMAT;
  stack: string;
  tenant: string;
  plan: string;
  createdAt: string;
  /** Volume kind (the archive's top folder) → the Docker volume it was copied from. */
  volumes: Record<string, string>;
  files: number;
  bytes: number;
  entries: ManifestEntry[];
}

/** Records each entry of a tar stream as it passes, hashing every regular file's data. */
export class EntryDigests implements TarHandlers {
  readonly entries: ManifestEntry[] = [];
  private hash: crypto.Hash | undefined;

  constructor(private readonly skip: (entry: TarEntry) => boolean = () => false) {}

  entry(e: TarEntry): void {
    this.hash = !this.skip(e) && e.type === "file" ? crypto.createHash("sha256") : undefined;
  }

  data(chunk: Buffer): void {
    this.hash?.update(chunk);
  }

  end(e: TarEntry): void {
    if (this.skip(e)) return;
    const path = e.path.replace(/\/+$/, "");
    this.entries.push({
      path,
      type: e.type,
      size: e.type === "file" ? e.size : 0,
      ...(this.hash ? { sha256: this.hash.digest("hex") } : {}),
      ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
    });
    this.hash = undefined;
  }
}

const key = (e: ManifestEntry) => JSON.stringify([e.path, e.type, e.size, e.sha256 ?? null, e.linkTarget ?? null]);

/** The first few differences between what a manifest lists and what is really there, each as one line. */
export function differences(listed: ManifestEntry[], found: ManifestEntry[], limit = 5): string[] {
  const byPath = new Map(found.map((e) => [e.path, e]));
  const lines: string[] = [];
  for (const want of listed) {
    const got = byPath.get(want.path);
    byPath.delete(want.path);
    if (!got) lines.push(`${want.path}: listed in the manifest but missing`);
    else if (key(got) !== key(want)) {
      lines.push(
        got.sha256 !== want.sha256 && got.size === want.size
          ? `${want.path}: its sha256 is ${got.sha256}, the manifest says ${want.sha256}`
          : `${want.path}: it is a ${got.type} of ${got.size} bytes, the manifest says a ${want.type} of ${want.size} bytes`,
      );
    }
  }
  for (const extra of byPath.keys()) lines.push(`${extra}: present but not in the manifest`);
  return lines.length > limit ? [...lines.slice(0, limit), `… and ${lines.length - limit} more`] : lines;
}

/** Checks a parsed manifest's shape; every problem is an error naming the field. */
export function parseManifest(text: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (err) {
    throw new Error(`its manifest is not valid JSON (${(err as Error).message})`);
  }
  if (m?.format !== FORMAT) throw new Error(`its manifest has format ${JSON.stringify(m?.format)}, not ${FORMAT}`);
  for (const field of ["stack", "tenant", "plan", "createdAt"] as const) {
    if (typeof m[field] !== "string") throw new Error(`its manifest has no ${field}`);
  }
  if (!Array.isArray(m.entries) || typeof m.volumes !== "object" || m.volumes === null) throw new Error("its manifest lists no entries or volumes");
  return m;
}

/** An archive entry must stay inside one of the tenant's volumes: no absolute path, no "..". */
export function unsafePath(path: string, kinds: string[]): boolean {
  const parts = path.split("/");
  return path.startsWith("/") || !kinds.includes(parts[0]) || parts.some((p) => p === "..");
}
