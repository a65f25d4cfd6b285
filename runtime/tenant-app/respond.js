// @ts-check
'use strict';

/**
 * Every error and API answer is JSON, so clients never have to guess the body's shape.
 * @param {import('http').ServerResponse} res
 * @param {number} status
 * @param {unknown} body
 */
function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * @param {import('http').ServerResponse} res
 * @param {number} status
 * @param {string} error  a short machine-readable code
 * @param {string} message  what was wrong, for a person
 */
function sendError(res, status, error, message) {
  sendJson(res, status, { error, message });
}

/**
 * Reads a small request body whole (JSON commands); file uploads never come through here.
 * Rejects with a 413-tagged error past `limit` bytes instead of buffering an unbounded body.
 * @param {import('http').IncomingMessage} req
 * @param {number} limit
 * @returns {Promise<Buffer>}
 */
function readSmallBody(req, limit) {
  return new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length;
      // Past the limit the rest is read and dropped rather than the socket cut, so the 413 arrives.
      if (size > limit) return reject(new HttpError(413, 'too_large', `body must be at most ${limit} bytes`));
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** An error that already knows its HTTP status; anything else thrown by a handler is a 500. */
class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {Record<string, string>} [headers]  sent with the error, e.g. Allow on a 405
   */
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

module.exports = { sendJson, sendError, readSmallBody, HttpError };
