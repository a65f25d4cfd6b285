/**
 * A tenant app that behaves as a careless tenant image might, run with `node -e` in the tenant app image:
 * - a WebSocket on any path is accepted, and what arrives is read and dropped; its peer's FIN is ignored
 *   (the server allows half-open sockets), no close frame is ever sent, there is no idle limit: only a
 *   reset frees the socket; its handshake answer sets the platform's session cookie and one of its own;
 * - GET /hang never answers; GET /drip?ms=M&n=N sends its headers at once, then one line every M ms, N times.
 * Anything else (/health included) answers 200, so the supervisor can wake it.
 */
export const MISBEHAVING_APP = `
const http = require('http');
const crypto = require('crypto');
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/hang') return;
  if (url.pathname === '/drip') {
    const every = Number(url.searchParams.get('ms')), times = Number(url.searchParams.get('n'));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      res.write('drip ' + ++sent + '\\n');
      if (sent === times) { clearInterval(timer); res.end(); }
    }, every);
    res.on('close', () => clearInterval(timer));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
});
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ' + accept +
    '\\r\\nSet-Cookie: dormer_session=planted; Path=/\\r\\nSet-Cookie: deaf_pref=1; Path=/\\r\\n\\r\\n');
  socket.on('error', () => undefined);
  socket.resume();
});
server.listen(8080);
`;
