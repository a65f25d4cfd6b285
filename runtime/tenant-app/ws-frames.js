// @ts-check
'use strict';

/** RFC 6455 opcodes this app understands. */
const OP = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa };

/** A protocol violation, carrying the close code to answer it with (RFC 6455 section 7.4.1). */
class WsError extends Error {
  /**
   * @param {number} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/**
 * @typedef {object} Frame
 * @property {boolean} fin
 * @property {number} opcode
 * @property {Buffer} payload  already unmasked
 */

/**
 * Reads one client frame from the front of `buf`.
 * @param {Buffer} buf
 * @param {number} maxPayload
 * @returns {{ frame: Frame, size: number } | null}  null while the frame is still incomplete
 * @throws {WsError}
 */
function readFrame(buf, maxPayload) {
  if (buf.length < 2) return null;
  // No extensions are negotiated, so the reserved bits must be zero.
  if (buf[0] & 0x70) throw new WsError(1002, 'reserved bits set');
  const fin = (buf[0] & 0x80) !== 0;
  const opcode = buf[0] & 0x0f;
  // Clients must mask every frame (section 5.1); it protects proxies in between from cache poisoning.
  if (!(buf[1] & 0x80)) throw new WsError(1002, 'client frames must be masked');
  let length = buf[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return null;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return null;
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(maxPayload)) throw new WsError(1009, 'frame too large');
    length = Number(big);
    offset = 10;
  }
  if (length > maxPayload) throw new WsError(1009, 'frame too large');
  const start = offset + 4;
  if (buf.length < start + length) return null;
  const payload = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) payload[i] = buf[start + i] ^ buf[offset + (i & 3)];
  return { frame: { fin, opcode, payload }, size: start + length };
}

/**
 * One unfragmented, unmasked server frame (servers never mask).
 * @param {number} opcode
 * @param {Buffer} payload
 */
function encodeFrame(opcode, payload) {
  let header;
  if (payload.length < 126) {
    header = Buffer.from([0x80 | opcode, payload.length]);
  } else if (payload.length < 0x10000) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  header[0] = 0x80 | opcode;
  return Buffer.concat([header, payload]);
}

module.exports = { OP, WsError, readFrame, encodeFrame };
