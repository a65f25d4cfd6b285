import assert from 'assert/strict';
import { spawnSync } from 'child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'fs';
import path from 'path';
import http from 'http';
import { startApp, tempDirs, Dirs, APP } from './harness';

describe('tenant app: start and stop', () => {
  let dirs: Dirs;
  beforeEach(() => {
    dirs = tempDirs();
  });
  afterEach(() => dirs.remove());

  it('exits 0 within a second of SIGTERM, even with an idle keep-alive connection open', async () => {
    const app = await startApp(dirs);
    const agent = new http.Agent({ keepAlive: true });
    await new Promise((resolve) => http.get(`${app.url}/health`, { agent }, (res) => res.resume().on('end', resolve)));
    const started = Date.now();
    assert.equal(await app.stop(), 0);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    agent.destroy();
  });

  it('removes temp files left by a run that died mid-upload', async () => {
    mkdirSync(dirs.files, { recursive: true });
    writeFileSync(path.join(dirs.files, '.upload-left-over'), 'half');
    writeFileSync(path.join(dirs.files, 'kept.txt'), 'whole');
    const app = await startApp(dirs);
    assert.deepEqual(readdirSync(dirs.files), ['kept.txt']);
    await app.stop();
  });

  it('refuses to start without DORMER_TENANT_ID, naming the variable', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', FILES_DIR: dirs.files, DATA_DIR: dirs.data };
    delete env.DORMER_TENANT_ID;
    const run = spawnSync(process.execPath, [APP], { env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 1);
    assert.match(run.stdout, /DORMER_TENANT_ID: must be set/);
  });

  it('refuses to start with a bad PORT, naming the variable', () => {
    const env = { ...process.env, PORT: 'eighty', DORMER_TENANT_ID: 'acme', FILES_DIR: dirs.files, DATA_DIR: dirs.data };
    const run = spawnSync(process.execPath, [APP], { env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 1);
    assert.match(run.stdout, /PORT: must be an integer/);
  });

  it('passes its own health check script', async () => {
    const app = await startApp(dirs);
    const check = spawnSync(process.execPath, [APP.replace('server.js', 'healthcheck.js')], {
      env: { ...process.env, PORT: String(app.port) }, timeout: 10_000,
    });
    assert.equal(check.status, 0);
    await app.stop();
    const down = spawnSync(process.execPath, [APP.replace('server.js', 'healthcheck.js')], {
      env: { ...process.env, PORT: String(app.port) }, timeout: 10_000,
    });
    assert.equal(down.status, 1);
  });
});
