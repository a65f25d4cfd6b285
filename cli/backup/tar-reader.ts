/**
 * A streaming reader of the tar archives GNU tar writes (ustar headers, pax extended headers, GNU long
 * names): it sees each entry's header and data as the bytes pass, so an archive of any size is checked and
 * hashed without being held in memory. Every header's checksum is checked; a damaged one is an error naming
 * its offset.
 */

export type EntryType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface TarEntry {
  path: string;
  type: EntryType;
  size: number;
  linkTarget?: string;
  /** Where its header starts in the archive. */
  offset: number;
}

export interface TarHandlers {
  entry(entry: TarEntry): void;
  data(chunk: Buffer): void;
  end(entry: TarEntry): void;
}

export class TarFormatError extends Error {}

const BLOCK = 512;
const TYPES: Record<string, EntryType> = { "0": "file", "\0": "file", "7": "file", "5": "directory", "2": "symlink", "1": "hardlink" };

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString("utf8");
}

function octal(block: Buffer, start: number, length: number, what: string, offset: number): number {
  // GNU tar writes sizes past 8 GiB in base 256, flagged by the high bit of the first byte.
  if (block[start] & 0x80) {
    let value = 0;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i];
    return value;
  }
  const digits = text(block, start, length).trim();
  if (digits !== "" && !/^[0-7]+$/.test(digits)) throw new TarFormatError(`the ${what} of the header at byte ${offset} is not a number (${JSON.stringify(digits)})`);
  return digits === "" ? 0 : parseInt(digits, 8);
}

function checksumOk(block: Buffer, offset: number): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum === octal(block, 148, 8, "checksum", offset);
}

/** pax records: "<length> <key>=<value>\n", one after another. */
function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString());
    if (space === -1 || !Number.isInteger(length) || length <= 0) throw new TarFormatError("a pax extended header is malformed");
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    records[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return records;
}

type State = { kind: "header" } | { kind: "data"; entry: TarEntry; left: number; pad: number } | { kind: "meta"; type: string; size: number; remaining: number; parts: Buffer[] } | { kind: "ended" };

export class TarReader {
  private state: State = { kind: "header" };
  private pending = Buffer.alloc(0);
  private offset = 0;
  /** Overrides from a pax or GNU long-name header, for the next entry. */
  private next: { path?: string; linkTarget?: string; size?: number } = {};
  private global: { path?: string; linkTarget?: string } = {};
  /** Offset of the end-of-archive marker once seen: a writer appending entries cuts the archive there. */
  endOffset: number | undefined;

  constructor(private readonly handlers: TarHandlers) {}

  /** Feeds the next bytes; what follows the end-of-archive marker is ignored. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state.kind !== "ended") {
      const s = this.state;
      if (s.kind === "data") {
        if (s.left > 0) {
          const n = Math.min(s.left, chunk.length - at);
          this.handlers.data(chunk.subarray(at, at + n));
          s.left -= n;
          at += n;
          this.offset += n;
        } else {
          const n = Math.min(s.pad, chunk.length - at);
          s.pad -= n;
          at += n;
          this.offset += n;
        }
        if (s.left === 0 && s.pad === 0) {
          this.handlers.end(s.entry);
          this.state = { kind: "header" };
        }
        continue;
      }
      if (s.kind === "meta") {
        const n = Math.min(s.remaining, chunk.length - at);
        s.parts.push(chunk.subarray(at, at + n));
        s.remaining -= n;
        at += n;
        this.offset += n;
        if (s.remaining === 0) this.metaDone(s);
        continue;
      }
      // A header: gather a whole block first.
      const need = BLOCK - this.pending.length;
      const n = Math.min(need, chunk.length - at);
      this.pending = Buffer.concat([this.pending, chunk.subarray(at, at + n)]);
      at += n;
      if (this.pending.length < BLOCK) break;
      const block = this.pending;
      this.pending = Buffer.alloc(0);
      const headerOffset = this.offset;
      this.offset += BLOCK;
      if (block.every((b) => b === 0)) {
        this.endOffset = headerOffset;
        this.state = { kind: "ended" };
        return;
      }
      this.header(block, headerOffset);
    }
  }

  /** Call once the stream is over: an archive cut short is an error naming where. */
  finish(): void {
    if (this.state.kind === "ended") return;
    if (this.state.kind === "header" && this.pending.length === 0) {
      throw new TarFormatError(`the archive ends at byte ${this.offset} without its end-of-archive marker (cut short?)`);
    }
    throw new TarFormatError(`the archive is cut short at byte ${this.offset}, inside an entry`);
  }

  private header(block: Buffer, offset: number): void {
    if (!checksumOk(block, offset)) throw new TarFormatError(`the header at byte ${offset} is damaged (its checksum does not match)`);
    const typeflag = String.fromCharCode(block[156]);
    const size = octal(block, 124, 12, "size", offset);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
      if (size > 1024 * 1024) throw new TarFormatError(`the extended header at byte ${offset} is implausibly large (${size} bytes)`);
      const meta: State = { kind: "meta", type: typeflag, size, remaining: size + pad, parts: [] };
      this.state = meta;
      if (meta.remaining === 0) this.metaDone(meta);
      return;
    }
    const prefix = block.subarray(257, 263).toString("latin1").startsWith("ustar") ? text(block, 345, 155) : "";
    const name = text(block, 0, 100);
    const entry: TarEntry = {
      path: this.next.path ?? this.global.path ?? (prefix ? `${prefix}/${name}` : name),
      type: TYPES[typeflag] ?? "other",
      size: this.next.size ?? size,
      offset,
    };
    const link = this.next.linkTarget ?? this.global.linkTarget ?? text(block, 157, 100);
    if (entry.type === "symlink" || entry.type === "hardlink") entry.linkTarget = link;
    this.next = {};
    // Only regular files carry data; a directory's or a link's size is ignored, as tar itself does.
    const dataSize = entry.type === "file" || entry.type === "other" ? entry.size : 0;
    this.handlers.entry(entry);
    this.state = { kind: "data", entry, left: dataSize, pad: (BLOCK - (dataSize % BLOCK)) % BLOCK };
    if (dataSize === 0) {
      this.handlers.end(entry);
      this.state = { kind: "header" };
    }
  }

  private metaDone(s: Extract<State, { kind: "meta" }>): void {
    const data = Buffer.concat(s.parts).subarray(0, s.size);
    if (s.type === "L") this.next.path = text(data, 0, data.length);
    else if (s.type === "K") this.next.linkTarget = text(data, 0, data.length);
    else {
      const records = paxRecords(data);
      const target = s.type === "x" ? this.next : this.global;
      if (records.path !== undefined) target.path = records.path;
      if (records.linkpath !== undefined) target.linkTarget = records.linkpath;
      if (s.type === "x" && records.size !== undefined) this.next.size = Number(records.size);
    }
    this.state = { kind: "header" };
  }
}
