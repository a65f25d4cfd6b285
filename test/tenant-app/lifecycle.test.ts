import assert from 'assert/strict';
import { spawnSync } from 'child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'fs';
import path from 'path';
import http from 'http';
import type { Socket } from 'net';
import { waitFor } from '../support/poll';
import { freePort } from '../support/ports';
import { startApp, tempDirs, Dirs, APP, IDENTITY } from './harness';

describe('tenant app: start and stop', () => {
  let dirs: Dirs;
  beforeEach(() => {
    dirs = tempDirs();
  });
  afterEach(() => dirs.remove());

  // How long the stop takes is measured by the bench (test/bench/tenant-app-stop.ts), not asserted here.
  it('stops cleanly on SIGTERM with an idle keep-alive connection open: it closes the connection itself and exits 0', async () => {
    const app = await startApp(dirs);
    const agent = new http.Agent({ keepAlive: true });
    const socket = await new Promise<Socket>((resolve) => {
      const req = http.get(`${app.url}/health`, { agent }, (res) => res.resume().on('end', () => resolve(req.socket!)));
    });
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()));
    assert.equal(await app.stop(), 0);
    // The server's FIN on the idle connection: shutdown dropped it, the client did not.
    await ended;
    await waitFor('the app to log its clean stop', async () => app.logs.some((l) => l.msg === 'stopped'), 10_000, 20);
    assert.deepEqual(app.logs.filter((l) => l.level !== 'info'), [], 'no forced exit after the shutdown timeout');
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

  it('serves the same app on each port of DORMER_PORTS, and says which port a request came in on', async () => {
    const extra = [await freePort(), await freePort()];
    const app = await startApp(dirs, { DORMER_PORTS: extra.join(',') });
    try {
      assert.deepEqual(app.logs.find((l) => l.msg === 'listening')?.extraPorts, extra);
      for (const port of [app.port, ...extra]) {
        const res = await fetch(`http://127.0.0.1:${port}/whoami`, { headers: IDENTITY });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { tenant: 'acme', user: 'alice', port });
      }
      assert.equal((await fetch(`http://127.0.0.1:${extra[0]}/whoami`)).status, 401, 'the same identity rules on an extra port');
    } finally {
      assert.equal(await app.stop(), 0, 'every server closes on SIGTERM');
    }
  });

  it('refuses to start with a bad DORMER_PORTS, naming the variable', () => {
    const env = { ...process.env, PORT: '0', DORMER_PORTS: '9090,http', DORMER_TENANT_ID: 'acme', FILES_DIR: dirs.files, DATA_DIR: dirs.data };
    const run = spawnSync(process.execPath, [APP], { env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 1);
    assert.match(run.stdout, /DORMER_PORTS: must be comma-separated ports/);
  });
});
