// @ts-check
'use strict';

const { OP, WsError, readFrame, encodeFrame } = require('./ws-frames');

/** Largest message echoed, fragments included; bigger ones are closed with 1009. */
const MAX_MESSAGE = 1024 * 1024;
/** How long to wait for the client's close frame after sending ours before dropping the TCP link. */
const CLOSE_GRACE_MS = 1000;

/**
 * One open WebSocket that echoes every text and binary message back. Handles fragmentation,
 * ping/pong and the closing handshake; anything else is closed with the RFC's code for it.
 */
class EchoSocket {
  /** @param {import('stream').Duplex} socket  already switched to the WebSocket protocol */
  constructor(socket) {
    this.socket = socket;
    /** @type {Buffer} bytes received but not yet a whole frame */
    this.buffer = Buffer.alloc(0);
    /** @type {Buffer[]} */
    this.fragments = [];
    this.fragmentBytes = 0;
    this.messageOpcode = 0;
    this.closing = false;
    socket.on('data', (/** @type {Buffer} */ chunk) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    // The peer left without a close frame (a killed tab, a crashed client): there is nobody to finish the
    // handshake with, so answer its FIN with ours and let the socket go. Our HTTP server allows half-open
    // sockets, so without this the descriptor would stay open forever.
    socket.on('end', () => {
      this.closing = true;
      socket.end();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  }

  /** @param {Buffer} chunk */
  receive(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    try {
      for (let read = readFrame(this.buffer, MAX_MESSAGE); read && !this.closing;
        read = readFrame(this.buffer, MAX_MESSAGE)) {
        this.buffer = this.buffer.subarray(read.size);
        this.handle(read.frame);
      }
    } catch (err) {
      if (!(err instanceof WsError)) throw err;
      this.close(err.code, err.message);
    }
  }

  /** @param {import('./ws-frames').Frame} frame */
  handle(frame) {
    if (frame.opcode >= OP.CLOSE) return this.handleControl(frame);
    if (frame.opcode === OP.CONTINUATION) {
      if (!this.messageOpcode) throw new WsError(1002, 'continuation without a message');
    } else if (frame.opcode === OP.TEXT || frame.opcode === OP.BINARY) {
      if (this.messageOpcode) throw new WsError(1002, 'new message inside a fragmented one');
      this.messageOpcode = frame.opcode;
    } else {
      throw new WsError(1002, `unknown opcode ${frame.opcode}`);
    }
    this.fragmentBytes += frame.payload.length;
    if (this.fragmentBytes > MAX_MESSAGE) throw new WsError(1009, 'message too large');
    this.fragments.push(frame.payload);
    if (!frame.fin) return;
    const message = Buffer.concat(this.fragments);
    const opcode = this.messageOpcode;
    this.fragments = [];
    this.fragmentBytes = 0;
    this.messageOpcode = 0;
    if (opcode === OP.TEXT && !isUtf8(message)) throw new WsError(1007, 'text is not valid UTF-8');
    this.send(opcode, message);
  }

  /** @param {import('./ws-frames').Frame} frame */
  handleControl(frame) {
    if (!frame.fin || frame.payload.length > 125) throw new WsError(1002, 'bad control frame');
    if (frame.opcode === OP.PING) return this.send(OP.PONG, frame.payload);
    if (frame.opcode === OP.PONG) return;
    if (frame.opcode !== OP.CLOSE) throw new WsError(1002, `unknown opcode ${frame.opcode}`);
    if (frame.payload.length === 1) throw new WsError(1002, 'close payload of one byte');
    // Echo the client's status code back, as section 5.5.1 suggests; no code means none is echoed.
    const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 0;
    if (code && !sendableCode(code)) throw new WsError(1002, `close code ${code} is not allowed`);
    this.close(code, '');
  }

  /**
   * @param {number} opcode
   * @param {Buffer} payload
   */
  send(opcode, payload) {
    if (!this.closing && this.socket.writable) this.socket.write(encodeFrame(opcode, payload));
  }

  /**
   * Starts (or answers) the closing handshake, then ends the TCP connection: the server closes first.
   * @param {number} code  0 sends a close frame without a status
   * @param {string} reason
   */
  close(code, reason) {
    if (this.closing) return;
    let payload = Buffer.alloc(0);
    if (code) {
      payload = Buffer.alloc(2 + Buffer.byteLength(reason));
      payload.writeUInt16BE(code, 0);
      payload.write(reason, 2);
    }
    if (this.socket.writable) this.socket.write(encodeFrame(OP.CLOSE, payload));
    this.closing = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}

/**
 * Codes a peer may put on the wire (RFC 6455 section 7.4): 1004-1006 and 1015 are reserved.
 * @param {number} code
 */
function sendableCode(code) {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** @param {Buffer} bytes */
function isUtf8(bytes) {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

module.exports = { EchoSocket };
