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

  const server = http.createServer(createHandler(parts));
  server.on('upgrade', createUpgradeHandler(parts));
  server.listen(config.port, config.host, () => {
    const address = /** @type {import('net').AddressInfo} */ (server.address());
    log('info', 'listening', { host: config.host, port: address.port, tenant: config.tenantId });
  });

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
    server.close(() => {
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
    server.closeIdleConnections();
    for (const socket of parts.sockets) socket.close(1001, 'server shutting down');
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err) => {
  log('error', 'failed to start', { error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
