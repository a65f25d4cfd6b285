// @ts-check
'use strict';

const { sendJson, readSmallBody, HttpError } = require('./respond');
const { KEEP } = require('./history');
const { makeReply } = require('./reply');

const MAX_TEXT = 4000; // characters
const DEFAULT_LIMIT = 50;

/**
 * POST /messages {text}: stores the message and the assistant's reply, answers with both.
 * @param {import('./history').History} history
 * @param {string} user
 * @param {import('http').IncomingMessage} req
 * @param {import('http').ServerResponse} res
 */
async function postMessage(history, user, req, res) {
  const body = await readSmallBody(req, 64 * 1024);
  let text;
  try {
    text = JSON.parse(body.toString('utf8')).text;
  } catch {
    throw new HttpError(400, 'invalid_json', 'body must be JSON like {"text": "hello"}');
  }
  if (typeof text !== 'string' || !text.trim()) {
    throw new HttpError(400, 'invalid_text', 'text must be a non-empty string');
  }
  if (text.length > MAX_TEXT) {
    throw new HttpError(400, 'invalid_text', `text must be at most ${MAX_TEXT} characters`);
  }
  sendJson(res, 201, await history.append(user, text, makeReply));
}

/**
 * GET /messages?limit=N: the last N messages, oldest first.
 * @param {import('./history').History} history
 * @param {URLSearchParams} query
 * @param {import('http').ServerResponse} res
 */
function listMessages(history, query, res) {
  const raw = query.get('limit');
  const limit = raw === null ? DEFAULT_LIMIT : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > KEEP) {
    throw new HttpError(400, 'invalid_limit', `limit must be an integer from 1 to ${KEEP}`);
  }
  sendJson(res, 200, { messages: history.last(limit), total: history.count });
}

module.exports = { postMessage, listMessages };
