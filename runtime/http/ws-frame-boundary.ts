/** 2 bytes, a 64-bit length, a mask key. */
const MAX_HEADER = 14;

/**
 * Follows the frames a WebSocket server sends (RFC 6455 5.2) without keeping them: where one ends, so the
 * supervisor can add a close frame of its own when the server's side ends without one, and whether the
 * server sent its own close.
 */
export class FrameBoundary {
  /** Header bytes of the frame being read, until its length is known. */
  private header = Buffer.alloc(0);
  /** Payload bytes still to come in the current frame. */
  private remaining = 0;
  private closed = false;

  /** True when the bytes so far end exactly where a frame does. */
  get atBoundary(): boolean {
    return this.remaining === 0 && this.header.length === 0;
  }

  /** True once the server sent a close frame. */
  get sawClose(): boolean {
    return this.closed;
  }

  push(chunk: Buffer): void {
    this.consume(chunk, false);
  }

  /**
   * Takes the bytes of chunk up to where the frame under way ends, and says how many that was (0 when at
   * a boundary already, all of them when the frame goes on past this chunk): what may still be sent before
   * a close frame of ours.
   */
  toBoundary(chunk: Buffer): number {
    return this.atBoundary ? 0 : this.consume(chunk, true);
  }

  /** Follows the frames in chunk; with stopAtBoundary, only as far as the first frame's end. Returns the bytes taken. */
  private consume(chunk: Buffer, stopAtBoundary: boolean): number {
    let at = 0;
    while (at < chunk.length) {
      if (stopAtBoundary && at > 0 && this.atBoundary) return at;
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        at += take;
        continue;
      }
      const had = this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + MAX_HEADER - had)]);
      const length = headerLength(this.header);
      if (length === undefined) {
        // Every byte left was taken into the header, and it is still incomplete.
        at = chunk.length;
        continue;
      }
      at += length.header - had;
      if ((this.header[0] & 0x0f) === 0x8) this.closed = true;
      this.header = Buffer.alloc(0);
      this.remaining = length.payload;
    }
    return at;
  }
}

/** A frame's header size and payload length, once the header bytes are all there. */
function headerLength(h: Buffer): { header: number; payload: number } | undefined {
  if (h.length < 2) return undefined;
  const masked = (h[1] & 0x80) !== 0 ? 4 : 0;
  const short = h[1] & 0x7f;
  const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
  const header = 2 + extended + masked;
  if (h.length < header) return undefined;
  const payload = short === 126 ? h.readUInt16BE(2) : short === 127 ? Number(h.readBigUInt64BE(2)) : short;
  return { header, payload };
}

/** A close frame from a server (unmasked) with a status code: 1012 tells the client to come back. */
export function closeFrame(code: number, reason: string): Buffer {
  const text = Buffer.from(reason).subarray(0, 123);
  const frame = Buffer.alloc(4 + text.length);
  frame[0] = 0x88;
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}
