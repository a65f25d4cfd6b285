import * as fs from "fs";
import { Readable } from "stream";
import { once } from "events";
import * as crypto from "crypto";
import { EntryDigests, FORMAT, Manifest, MANIFEST_NAME, MANIFEST_SUM_NAME, differences, parseManifest, unsafePath } from "./manifest";
import { TarEntry, TarFormatError, TarReader } from "./tar-reader";

/** A manifest larger than this is not one dormer wrote. */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
const BLOCK = 512;

/** An archive refused: the message names the file and what is wrong with it. */
export class ArchiveError extends Error {}

/** One ustar header for a plain file, as tar itself writes it. */
function ustarHeader(name: string, size: number, mtime: Date): Buffer {
  const h = Buffer.alloc(BLOCK);
  const put = (value: string, at: number, length: number) => h.write(value.slice(0, length), at, length, "latin1");
  const num = (value: number, at: number, length: number) => put(value.toString(8).padStart(length - 1, "0") + "\0", at, length);
  put(name, 0, 100);
  num(0o644, 100, 8);
  num(0, 108, 8);
  num(0, 116, 8);
  num(size, 124, 12);
  num(Math.floor(mtime.getTime() / 1000), 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

export interface ArchiveMeta {
  stack: string;
  tenant: string;
  plan: string;
  volumes: Record<string, string>;
}

/**
 * Writes the tar stream of a tenant's volumes to `file`, hashing each entry as it passes, then appends the
 * manifest as the last entry, once `sourceDone` says the stream was whole. Written under a temporary name and renamed once complete and on disk, so a
 * file with the final name is always a whole archive.
 */
export async function writeArchive(source: Readable, sourceDone: Promise<void>, file: string, meta: ArchiveMeta): Promise<Manifest> {
  const partial = `${file}.partial`;
  const digests = new EntryDigests();
  const reader = new TarReader(digests);
  const out = fs.createWriteStream(partial, { flags: "wx", mode: 0o600 });
  try {
    for await (const chunk of source) {
      reader.push(chunk as Buffer);
      if (!out.write(chunk)) await once(out, "drain");
    }
    reader.finish();
    out.end();
    await once(out, "finish");
    // The copy counts only when its helper ended well: tar reports files it could not read on exit.
    await sourceDone;
    const manifest: Manifest = {
      format: FORMAT,
      ...meta,
      createdAt: new Date().toISOString(),
      files: digests.entries.filter((e) => e.type === "file").length,
      bytes: digests.entries.reduce((n, e) => n + e.size, 0),
      entries: digests.entries,
    };
    const body = Buffer.from(JSON.stringify(manifest, null, 1) + "\n");
    // Cut the volumes' stream at its end-of-archive marker and put the manifest there, then a new marker.
    fs.truncateSync(partial, reader.endOffset);
    const fd = fs.openSync(partial, "a");
    try {
      const time = new Date(manifest.createdAt);
      const sum = Buffer.from(`${crypto.createHash("sha256").update(body).digest("hex")}  ${MANIFEST_NAME}\n`);
      fs.writeSync(fd, Buffer.concat([
        ustarHeader(MANIFEST_NAME, body.length, time), body, padding(body.length),
        ustarHeader(MANIFEST_SUM_NAME, sum.length, time), sum, padding(sum.length),
        Buffer.alloc(2 * BLOCK),
      ]));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(partial, file);
    return manifest;
  } catch (err) {
    out.destroy();
    fs.rmSync(partial, { force: true });
    throw err;
  }
}

/**
 * Reads the whole archive and checks it against its manifest: every header's checksum, every file's size
 * and sha256, nothing missing, nothing extra, nothing outside the tenant's volumes. Returns the manifest;
 * anything wrong is an ArchiveError naming the problem.
 */
export async function verifyArchive(file: string): Promise<Manifest> {
  const refuse = (why: string) => new ArchiveError(`archive ${file} is refused: ${why}`);
  if (!fs.existsSync(file)) throw refuse("no such file");
  /** The manifest and its sum, kept whole; every other entry is only hashed. */
  const tail: Record<string, Buffer[]> = {};
  const order: string[] = [];
  let tailBytes = 0;
  const isTail = (e: TarEntry) => e.path === MANIFEST_NAME || e.path === MANIFEST_SUM_NAME;
  const digests = new EntryDigests(isTail);
  let current: Buffer[] | undefined;
  const reader = new TarReader({
    entry: (e) => {
      order.push(e.path);
      current = isTail(e) ? (tail[e.path] = []) : undefined;
      digests.entry(e);
    },
    data: (chunk) => {
      if (!current) return digests.data(chunk);
      tailBytes += chunk.length;
      if (tailBytes > MAX_MANIFEST_BYTES) throw new TarFormatError(`its ${MANIFEST_NAME} is larger than ${MAX_MANIFEST_BYTES} bytes`);
      current.push(Buffer.from(chunk));
    },
    end: (e) => digests.end(e),
  });
  try {
    for await (const chunk of fs.createReadStream(file)) reader.push(chunk as Buffer);
    reader.finish();
  } catch (err) {
    if (err instanceof TarFormatError) throw refuse(err.message);
    throw err;
  }
  if (!tail[MANIFEST_NAME]) throw refuse(`it holds no ${MANIFEST_NAME} (not a dormer backup, or cut short)`);
  if (order.slice(-2).join(" ") !== `${MANIFEST_NAME} ${MANIFEST_SUM_NAME}`) {
    throw refuse(`its last entries must be ${MANIFEST_NAME} and ${MANIFEST_SUM_NAME}, not ${order.slice(-2).join(" and ")}`);
  }
  const body = Buffer.concat(tail[MANIFEST_NAME]);
  const sum = Buffer.concat(tail[MANIFEST_SUM_NAME]).toString("utf8").split(/\s+/)[0];
  if (crypto.createHash("sha256").update(body).digest("hex") !== sum) throw refuse(`its ${MANIFEST_NAME} does not match its sha256 in ${MANIFEST_SUM_NAME} (damaged)`);
  let manifest: Manifest;
  try {
    manifest = parseManifest(body.toString("utf8"));
  } catch (err) {
    throw refuse((err as Error).message);
  }
  const kinds = Object.keys(manifest.volumes);
  const outside = digests.entries.find(
    (e) => unsafePath(e.path, kinds) || (e.type === "hardlink" && unsafePath(e.linkTarget ?? "", kinds)) || e.type === "other",
  );
  if (outside) throw refuse(`${outside.path} (${outside.type}) is not a file, folder or link inside the volumes ${kinds.join(", ")}`);
  const wrong = differences(manifest.entries, digests.entries);
  if (wrong.length > 0) throw refuse(`its content does not match its manifest:\n  ${wrong.join("\n  ")}`);
  return manifest;
}
