import assert from 'assert/strict';
import crypto from 'crypto';
import http from 'http';
import { existsSync, readdirSync } from 'fs';
import path from 'path';
import { startApp, tempDirs, Dirs, RunningApp, IDENTITY, json, FileInfo } from './harness';

describe('tenant app: files', () => {
  let dirs: Dirs;
  let app: RunningApp;
  const body = crypto.randomBytes(5 * 1024 * 1024 + 123);
  const digest = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');
  const file = (name: string) => `${app.url}/files/${encodeURIComponent(name)}`;

  // fetch() would normalise "/files/.." away before sending; the app must see the raw path.
  const rawPut = (urlPath: string, data: string) => new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: app.port, path: urlPath, method: 'PUT', headers: IDENTITY },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
    req.on('error', reject);
    req.end(data);
  });

  before(async () => {
    dirs = tempDirs();
    app = await startApp(dirs, { MAX_UPLOAD_MB: '8' });
  });
  after(async () => {
    await app.stop();
    dirs.remove();
  });

  it('stores a multi-MB body with PUT (201), and replaces it (200)', async () => {
    const created = await fetch(file('big file.bin'), { method: 'PUT', headers: IDENTITY, body });
    assert.equal(created.status, 201);
    assert.equal((await json<FileInfo>(created)).size, body.length);
    const replaced = await fetch(file('big file.bin'), { method: 'PUT', headers: IDENTITY, body });
    assert.equal(replaced.status, 200);
  });

  it('streams the same bytes back with GET, as a download', async () => {
    const res = await fetch(file('big file.bin'), { headers: IDENTITY });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="big file.bin"');
    assert.equal(digest(Buffer.from(await res.arrayBuffer())), digest(body));
  });

  it('lists name, size and modified time', async () => {
    const res = await fetch(`${app.url}/files`, { headers: IDENTITY });
    const { files } = await json<{ files: FileInfo[] }>(res);
    assert.equal(files.length, 1);
    assert.equal(files[0].name, 'big file.bin');
    assert.equal(files[0].size, body.length);
    assert.ok(!Number.isNaN(Date.parse(files[0].modified)));
  });

  it('deletes with 204, then GET and DELETE are 404', async () => {
    assert.equal((await fetch(file('big file.bin'), { method: 'DELETE', headers: IDENTITY })).status, 204);
    assert.equal((await fetch(file('big file.bin'), { headers: IDENTITY })).status, 404);
    assert.equal((await fetch(file('big file.bin'), { method: 'DELETE', headers: IDENTITY })).status, 404);
  });

  const badNames: Array<[string, string]> = [
    ['..%2Fescape', 'an encoded ../'],
    ['..', 'a bare ..'],
    ['sub%2Fdir', 'an encoded slash'],
    ['a%5Cb', 'a backslash'],
    ['.hidden', 'a dot-file'],
    ['x'.repeat(201), 'a 201-character name'],
    ['%E0%A4%A', 'broken percent-encoding'],
    ['a%0Ab', 'a control character'],
  ];
  for (const [segment, what] of badNames) {
    it(`rejects ${what} with 400 and writes nothing`, async () => {
      const res = await rawPut(`/files/${segment}`, 'x');
      assert.equal(res.status, 400);
      assert.equal(JSON.parse(res.body).error, 'invalid_name');
      assert.deepEqual(readdirSync(dirs.files), []);
      assert.equal(existsSync(path.join(dirs.files, '..', 'escape')), false);
    });
  }

  it('accepts a 200-character name', async () => {
    const res = await fetch(file('x'.repeat(200)), { method: 'PUT', headers: IDENTITY, body: 'x' });
    assert.equal(res.status, 201);
    await fetch(file('x'.repeat(200)), { method: 'DELETE', headers: IDENTITY });
  });

  it('refuses a body over MAX_UPLOAD_MB with 413', async () => {
    const res = await fetch(file('huge.bin'), {
      method: 'PUT', headers: IDENTITY, body: Buffer.alloc(9 * 1024 * 1024),
    }).catch(() => null);
    // Either the 413 arrives, or the app cut the connection mid-body; never a stored file.
    if (res) assert.equal(res.status, 413);
    assert.deepEqual(readdirSync(dirs.files), []);
  });

  it('refuses a chunked body that grows past MAX_UPLOAD_MB, keeping nothing', async () => {
    const req = http.request(file('chunked.bin'), { method: 'PUT', headers: IDENTITY });
    const answer = new Promise<number | null>((resolve) => {
      req.on('response', (res) => resolve(res.statusCode ?? null));
      req.on('error', () => resolve(null));
    });
    for (let i = 0; i < 9; i++) req.write(Buffer.alloc(1024 * 1024));
    req.end();
    const status = await answer;
    if (status !== null) assert.equal(status, 413);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(readdirSync(dirs.files), []);
  });

  it('leaves neither the file nor a temp file when the client drops mid-upload', async () => {
    const req = http.request(file('partial.bin'), {
      method: 'PUT', headers: { ...IDENTITY, 'content-length': String(4 * 1024 * 1024) },
    });
    req.on('error', () => {});
    req.write(Buffer.alloc(1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(readdirSync(dirs.files).length, 1, 'the upload is in a temp file while it streams');
    req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(readdirSync(dirs.files), []);
  });
});
