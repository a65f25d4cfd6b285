/**
 * Docker multiplexes a non-TTY container's stdout and stderr into frames with an 8-byte header
 * (stream type, 3 zero bytes, big-endian length); this joins the payloads back into text.
 */
export function demux(raw: Buffer): string {
  let out = "";
  let i = 0;
  while (i + 8 <= raw.length) {
    const size = raw.readUInt32BE(i + 4);
    out += raw.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  return out;
}
