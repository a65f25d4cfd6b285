// @ts-check
'use strict';

const fs = require('fs');
const path = require('path');
const { identify } = require('./identity');
const { sendJson, sendError, HttpError } = require('./respond');
const { parseFileName } = require('./file-name');
const { postMessage, listMessages } = require('./messages');
const { acceptWebSocket, refuse } = require('./websocket');
const { log } = require('./log');

const PAGE = fs.readFileSync(path.join(__dirname, 'index.html'));
// The page has its script and style inline and talks only to this origin; nothing else may load.
const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * @typedef {object} Parts
 * @property {string} tenantId
 * @property {import('./files').FileStore} files
 * @property {import('./history').History} history
 * @property {Set<import('./echo-socket').EchoSocket>} sockets  open WebSockets, closed on shutdown
 */

/**
 * The request handler: routes only; each route's work lives in its own module.
 * @param {Parts} parts
 * @returns {(req: import('http').IncomingMessage, res: import('http').ServerResponse) => void}
 */
function createHandler(parts) {
  return (req, res) => {
    const started = process.hrtime.bigint();
    const { pathname, query } = splitUrl(req.url);
    res.on('close', () => {
      // The supervisor probes /health while it wakes the tenant and while it is awake; logging its successes would drown the rest.
      if (pathname === '/health' && res.statusCode === 200) return;
      logRequest(req, pathname, res.statusCode, started, !res.writableFinished);
    });
    route(parts, req, res, pathname, query).catch((err) => fail(res, err));
  };
}

/**
 * @param {Parts} parts
 * @param {import('http').IncomingMessage} req
 * @param {import('http').ServerResponse} res
 * @param {string} pathname
 * @param {URLSearchParams} query
 */
async function route(parts, req, res, pathname, query) {
  if (pathname === '/health') {
    allow(req, ['GET', 'HEAD']);
    return sendJson(res, 200, { status: 'ok' });
  }
  const { user } = identify(req.headers, parts.tenantId);
  if (pathname === '/') {
    allow(req, ['GET', 'HEAD']);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': PAGE.length,
      'content-security-policy': PAGE_CSP,
      'cache-control': 'no-store',
    });
    return res.end(req.method === 'HEAD' ? undefined : PAGE);
  }
  if (pathname === '/files') {
    allow(req, ['GET']);
    return parts.files.list(res);
  }
  if (pathname.startsWith('/files/')) {
    allow(req, ['GET', 'PUT', 'DELETE']);
    const name = parseFileName(pathname.slice('/files/'.length));
    if (req.method === 'PUT') return parts.files.put(name, req, res);
    if (req.method === 'DELETE') return parts.files.remove(name, res);
    return parts.files.get(name, res);
  }
  if (pathname === '/whoami') {
    allow(req, ['GET']);
    // The port the request came in on: an extra port (tenants.yaml `ports`) answers as itself.
    return sendJson(res, 200, { tenant: parts.tenantId, user, port: req.socket.localPort });
  }
  if (pathname === '/messages') {
    allow(req, ['GET', 'POST']);
    if (req.method === 'POST') return postMessage(parts.history, user, req, res);
    return listMessages(parts.history, query, res);
  }
  if (pathname === '/ws') {
    throw new HttpError(426, 'upgrade_required', 'connect with a WebSocket client');
  }
  throw new HttpError(404, 'not_found', `no route for ${pathname}`);
}

/**
 * The 'upgrade' handler: only /ws, and only with the same identity rules as every other route.
 * @param {Parts} parts
 * @returns {(req: import('http').IncomingMessage, socket: import('stream').Duplex, head: Buffer) => void}
 */
function createUpgradeHandler(parts) {
  return (req, socket, head) => {
    const started = process.hrtime.bigint();
    const { pathname } = splitUrl(req.url);
    socket.on('error', () => socket.destroy());
    /** @type {{ status: number, echo?: import('./echo-socket').EchoSocket }} */
    let outcome;
    try {
      if (pathname !== '/ws') throw new HttpError(404, 'not_found', `no WebSocket at ${pathname}`);
      identify(req.headers, parts.tenantId);
      outcome = acceptWebSocket(req, socket, head);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      outcome = refuse(socket, err.status, err.message, {}, err.code);
    }
    const { echo } = outcome;
    if (echo) {
      parts.sockets.add(echo);
      socket.on('close', () => parts.sockets.delete(echo));
    }
    logRequest(req, pathname, outcome.status, started, false);
  };
}

/**
 * Splits by hand: `new URL('//host/x', base)` would read a path starting with // as a host.
 * @param {string | undefined} url
 */
function splitUrl(url = '/') {
  const mark = url.indexOf('?');
  return {
    pathname: mark === -1 ? url : url.slice(0, mark),
    query: new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1)),
  };
}

/**
 * @param {import('http').IncomingMessage} req
 * @param {string[]} methods
 */
function allow(req, methods) {
  if (!methods.includes(req.method || '')) {
    throw new HttpError(405, 'method_not_allowed', `use ${methods.join(', ')}`, { allow: methods.join(', ') });
  }
}

/**
 * Errors become HTTP statuses here and only here; unknown ones are logged and hidden behind a 500.
 * @param {import('http').ServerResponse} res
 * @param {unknown} err
 */
function fail(res, err) {
  if (!(err instanceof HttpError)) log('error', 'request failed', { error: String(err) });
  // A client that went away mid-upload, or a response already streaming, cannot get a status.
  if (res.headersSent || res.destroyed) return void res.destroy();
  if (err instanceof HttpError) {
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
    return sendError(res, err.status, err.code, err.message);
  }
  sendError(res, 500, 'internal', 'something went wrong; see the app log');
}

/**
 * One JSON line per request.
 * @param {import('http').IncomingMessage} req
 * @param {string} path
 * @param {number} status
 * @param {bigint} started
 * @param {boolean} aborted
 */
function logRequest(req, path, status, started, aborted) {
  log('info', 'request', {
    method: req.method,
    path,
    status,
    ms: Number(process.hrtime.bigint() - started) / 1e6,
    user: req.headers['x-user-id'],
    ...(aborted ? { aborted } : {}),
  });
}

module.exports = { createHandler, createUpgradeHandler };
