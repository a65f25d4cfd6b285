import assert from 'assert/strict';
import { startApp, tempDirs, Dirs, RunningApp, IDENTITY } from './harness';
import { RawWebSocket } from './ws-client';

const TEXT = 0x1, BINARY = 0x2, CONTINUATION = 0x0, CLOSE = 0x8, PING = 0x9, PONG = 0xa;

describe('tenant app: WebSocket echo', () => {
  let dirs: Dirs;
  let app: RunningApp;
  const open = () => RawWebSocket.connect(app.port, IDENTITY);
  const closeCode = (payload: Buffer) => payload.readUInt16BE(0);

  before(async () => {
    dirs = tempDirs();
    app = await startApp(dirs);
  });
  after(async () => {
    await app.stop();
    dirs.remove();
  });

  it('refuses the upgrade with 401 without identity headers', async () => {
    await assert.rejects(RawWebSocket.connect(app.port, {}), /HTTP\/1.1 401/);
  });

  it('refuses the upgrade with 403 for another tenant', async () => {
    await assert.rejects(RawWebSocket.connect(app.port, { ...IDENTITY, 'x-tenant-id': 'globex' }), /HTTP\/1.1 403/);
  });

  it('echoes a text message', async () => {
    const ws = await open();
    ws.send(TEXT, 'héllo');
    const frame = await ws.next();
    assert.equal(frame.opcode, TEXT);
    assert.equal(frame.payload.toString(), 'héllo');
    ws.socket.destroy();
  });

  it('echoes a 100 KB binary message (64-bit length field both ways)', async () => {
    const ws = await open();
    const data = Buffer.alloc(100 * 1024, 7);
    ws.send(BINARY, data);
    const frame = await ws.next();
    assert.equal(frame.opcode, BINARY);
    assert.ok(frame.payload.equals(data));
    ws.socket.destroy();
  });

  it('reassembles a fragmented message, answering a ping sent between the fragments', async () => {
    const ws = await open();
    ws.send(TEXT, 'frag', false);
    ws.send(PING, 'are you there');
    ws.send(CONTINUATION, 'mented');
    const pong = await ws.next();
    assert.equal(pong.opcode, PONG);
    assert.equal(pong.payload.toString(), 'are you there');
    assert.equal((await ws.next()).payload.toString(), 'fragmented');
    ws.socket.destroy();
  });

  it('answers a close with the same code and closes the connection', async () => {
    const ws = await open();
    ws.send(CLOSE, Buffer.from([0x03, 0xe8])); // 1000
    const frame = await ws.next();
    assert.equal(frame.opcode, CLOSE);
    assert.equal(closeCode(frame.payload), 1000);
    await ws.ended;
  });

  it('closes with 1002 on an unmasked client frame', async () => {
    const ws = await open();
    ws.sendRaw(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    const frame = await ws.next();
    assert.equal(frame.opcode, CLOSE);
    assert.equal(closeCode(frame.payload), 1002);
    await ws.ended;
  });

  it('closes with 1007 on text that is not UTF-8', async () => {
    const ws = await open();
    ws.send(TEXT, Buffer.from([0xff, 0xfe]));
    const frame = await ws.next();
    assert.equal(closeCode(frame.payload), 1007);
    await ws.ended;
  });

  it('closes its end when the client leaves without a close frame (a FIN only)', async () => {
    const ws = await open();
    ws.send(TEXT, 'bye');
    await ws.next();
    let answered = false;
    ws.socket.on('end', () => (answered = true));
    ws.socket.end();
    await ws.ended;
    assert.ok(answered, 'the app never sent its FIN');
  });

  it('sends 1001 to open sockets on SIGTERM and exits 0', async () => {
    const ws = await open();
    const exit = app.stop();
    const frame = await ws.next();
    assert.equal(frame.opcode, CLOSE);
    assert.equal(closeCode(frame.payload), 1001);
    assert.equal(await exit, 0);
    app = await startApp(dirs);
  });
});
