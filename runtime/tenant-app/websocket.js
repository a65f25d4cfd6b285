// @ts-check
'use strict';

const crypto = require('crypto');
const http = require('http');
const { EchoSocket } = require('./echo-socket');

// Fixed by RFC 6455 section 1.3: proves the server read the client's key and speaks WebSocket.
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * Completes the opening handshake on an already authenticated request and starts echoing.
 * @param {import('http').IncomingMessage} req
 * @param {import('stream').Duplex} socket
 * @param {Buffer} head  bytes the client sent after its headers, already the first frames
 * @returns {{ status: number, echo?: EchoSocket }}  status 101 on success, else the refusal sent
 */
function acceptWebSocket(req, socket, head) {
  const key = req.headers['sec-websocket-key'];
  if (req.method !== 'GET' || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
    return refuse(socket, 400, 'expected a GET with Upgrade: websocket');
  }
  if (req.headers['sec-websocket-version'] !== '13') {
    return refuse(socket, 426, 'only WebSocket version 13 is supported', { 'Sec-WebSocket-Version': '13' });
  }
  if (typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) {
    return refuse(socket, 400, 'Sec-WebSocket-Key must be 16 bytes in base64');
  }
  const accept = crypto.createHash('sha1').update(key + ACCEPT_GUID).digest('base64');
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  const echo = new EchoSocket(socket);
  if (head.length) echo.receive(head);
  return { status: 101, echo };
}

/**
 * An upgrade request never reaches a ServerResponse, so refusals are written to the socket by hand.
 * @param {import('stream').Duplex} socket
 * @param {number} status
 * @param {string} message
 * @param {Record<string, string>} [headers]
 * @param {string} [code]
 */
function refuse(socket, status, message, headers = {}, code = 'bad_upgrade') {
  const body = JSON.stringify({ error: code, message });
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    extra +
    'Connection: close\r\n\r\n' +
    body,
  );
  return { status };
}

module.exports = { acceptWebSocket, refuse };
