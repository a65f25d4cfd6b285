import assert from 'assert/strict';
import { startApp, tempDirs, Dirs, RunningApp, IDENTITY, json, ErrorBody } from './harness';

describe('tenant app: health and identity', () => {
  let dirs: Dirs;
  let app: RunningApp;
  before(async () => {
    dirs = tempDirs();
    app = await startApp(dirs);
  });
  after(async () => {
    await app.stop();
    dirs.remove();
  });

  it('answers /health with 200 {status:"ok"} without identity headers', async () => {
    const res = await fetch(`${app.url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  for (const route of ['/', '/files', '/files/a.txt', '/messages', '/nowhere']) {
    it(`refuses ${route} with 401 JSON without identity headers`, async () => {
      const res = await fetch(`${app.url}${route}`);
      assert.equal(res.status, 401);
      assert.equal((await json<ErrorBody>(res)).error, 'unauthenticated');
    });
  }

  it('refuses a request that carries only X-User-ID with 401', async () => {
    const res = await fetch(`${app.url}/messages`, { headers: { 'x-user-id': 'alice' } });
    assert.equal(res.status, 401);
  });

  it('refuses another tenant with 403', async () => {
    const res = await fetch(`${app.url}/files`, { headers: { ...IDENTITY, 'x-tenant-id': 'globex' } });
    assert.equal(res.status, 403);
    assert.equal((await json<ErrorBody>(res)).error, 'wrong_tenant');
  });

  it('serves the HTML page with a strict content security policy', async () => {
    const res = await fetch(`${app.url}/`, { headers: IDENTITY });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    assert.match(res.headers.get('content-security-policy')!, /default-src 'none'/);
    assert.match(await res.text(), /<form id="send">/);
  });

  it('answers an unknown route with 404 and a wrong method with 405 and Allow', async () => {
    assert.equal((await fetch(`${app.url}/nowhere`, { headers: IDENTITY })).status, 404);
    const res = await fetch(`${app.url}/messages`, { method: 'DELETE', headers: IDENTITY });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, POST');
  });

  it('logs one JSON line per request, with its status and user', async () => {
    await fetch(`${app.url}/messages?limit=1`, { headers: { ...IDENTITY, 'x-user-id': 'logged' } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entries = app.logs.filter((l) => l.msg === 'request' && l.user === 'logged');
    assert.equal(entries.length, 1);
    assert.equal(entries[0].path, '/messages');
    assert.equal(entries[0].status, 200);
    assert.equal(entries[0].method, 'GET');
    assert.equal(typeof entries[0].ms, 'number');
  });

  it('does not log successful health checks, which run every second', async () => {
    await fetch(`${app.url}/health`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(app.logs.filter((l) => l.path === '/health').length, 0);
  });
});
