// A deliberately raw WebSocket client: the point is to check the server's wire format, so no library.
import net from 'net';
import crypto from 'crypto';

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export class RawWebSocket {
  private buffer = Buffer.alloc(0);
  private waiting: Array<(frame: Frame) => void> = [];
  private frames: Frame[] = [];
  readonly ended: Promise<void>;

  /** The server's handshake answer: status line and headers, as the client received them. */
  private constructor(readonly socket: net.Socket, readonly handshake: string, head: Buffer) {
    this.ended = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    if (head.length) this.receive(head);
  }

  /**
   * Performs the opening handshake on 127.0.0.1:port, as to `host` (a tenant's origin, e.g.
   * `acme.localhost:8088`); resolves with the socket, or rejects with the HTTP status line.
   */
  static connect(port: number, headers: Record<string, string>, host = `127.0.0.1:${port}`): Promise<RawWebSocket> {
    const key = crypto.randomBytes(16).toString('base64');
    const socket = net.connect(port, '127.0.0.1');
    const lines = ['GET /ws HTTP/1.1', `Host: ${host}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    return new Promise((resolve, reject) => {
      let got = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        const end = got.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        const head = got.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.split('\r\n')[0]));
        const expected = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
          .digest('base64');
        if (!head.includes(`Sec-WebSocket-Accept: ${expected}`)) return reject(new Error('bad accept key'));
        resolve(new RawWebSocket(socket, head, got.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.on('error', reject);
    });
  }

  /** Sends one masked frame, as every client must. */
  send(opcode: number, payload: Buffer | string, fin = true): void {
    const data = Buffer.from(payload);
    const mask = crypto.randomBytes(4);
    const masked = Buffer.from(data.map((byte, i) => byte ^ mask[i & 3]));
    let header: Buffer;
    if (data.length < 126) {
      header = Buffer.from([0, 0x80 | data.length]);
    } else if (data.length < 0x10000) {
      header = Buffer.alloc(4);
      header[1] = 0x80 | 126;
      header.writeUInt16BE(data.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(data.length), 2);
    }
    header[0] = (fin ? 0x80 : 0) | opcode;
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  /** Writes bytes as they are, to send frames the server must reject. */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  next(): Promise<Frame> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      if (this.buffer[1] & 0x80) throw new Error('server frames must not be masked');
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + length) return;
      const frame = {
        fin: (this.buffer[0] & 0x80) !== 0,
        opcode: this.buffer[0] & 0x0f,
        payload: this.buffer.subarray(offset, offset + length),
      };
      this.buffer = this.buffer.subarray(offset + length);
      const waiter = this.waiting.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    }
  }
}
