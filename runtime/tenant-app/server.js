// @ts-check
'use strict';

const http = require('http');
const { loadConfig } = require('./config');
const { FileStore } = require('./files');
const { History } = require('./history');
const { createHandler, createUpgradeHandler } = require('./app');
const { log } = require('./log');

/** docker stop waits 10 s before SIGKILL; finish well inside that even if a client hangs on. */
const SHUTDOWN_TIMEOUT_MS = 5000;

async function main() {
  const config = loadConfig(process.env);
  const files = new FileStore(config.filesDir, config.maxUploadBytes);
  const history = new History(config.dataDir);
  await files.open();
  await history.open();
  /** @type {import('./app').Parts} */
  const parts = { tenantId: config.tenantId, files, history, sockets: new Set() };

  // The app port and each extra one get the same app: one server each, so a request knows its port.
  const wanted = [config.port, ...config.extraPorts];
  const servers = wanted.map(() => {
    const server = http.createServer(createHandler(parts));
    server.on('upgrade', createUpgradeHandler(parts));
    return server;
  });
  const ports = await Promise.all(servers.map((server, i) => listen(server, wanted[i], config.host)));
  log('info', 'listening', { host: config.host, port: ports[0], extraPorts: ports.slice(1), tenant: config.tenantId });

  let stopping = false;
  const shutdown = (/** @type {string} */ signal) => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down', { signal });
    setTimeout(() => {
      // Something held the server open (a client that never finished): say so, it is not a clean stop.
      log('warn', 'shutdown timed out; exiting anyway', { afterMs: SHUTDOWN_TIMEOUT_MS });
      process.exit(0);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    // Stop accepting, let in-flight requests finish, and drop idle keep-alive links so close() returns.
    Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))).then(() => {
      history.close().then(
        () => {
          log('info', 'stopped', { signal });
          process.exit(0);
        },
        (err) => {
          log('error', 'history did not close cleanly', { error: String(err) });
          process.exit(1);
        },
      );
    });
    for (const server of servers) server.closeIdleConnections();
    for (const socket of parts.sockets) socket.close(1001, 'server shutting down');
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

/**
 * @param {http.Server} server
 * @param {number} port
 * @param {string} host
 * @returns {Promise<number>} the port it listens on
 */
function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(/** @type {import('net').AddressInfo} */ (server.address()).port);
    });
  });
}

main().catch((err) => {
  log('error', 'failed to start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
