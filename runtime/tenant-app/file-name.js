// @ts-check
'use strict';

const { HttpError } = require('./respond');

const MAX_LENGTH = 200;
// A plain name: no separators (so no traversal), no leading dot (no hidden files, and the app's own
// ".upload-*" temp files can never be named), no control characters or quotes (safe in headers).
const ALLOWED = /^[A-Za-z0-9_-][A-Za-z0-9._ ()+=@,-]*$/;

/**
 * Turns the raw path segment after /files/ into a file name, or explains why it is not one.
 * @param {string} segment  still percent-encoded, as it came in the URL
 * @returns {string}
 * @throws {HttpError} 400
 */
function parseFileName(segment) {
  let name;
  try {
    name = decodeURIComponent(segment);
  } catch {
    throw invalid('is not valid percent-encoding');
  }
  if (name.length === 0) throw invalid('must not be empty');
  if (name.length > MAX_LENGTH) throw invalid(`must be at most ${MAX_LENGTH} characters`);
  if (name.includes('/') || name.includes('\\')) throw invalid('must not contain slashes');
  if (name.startsWith('.')) throw invalid('must not start with a dot');
  if (!ALLOWED.test(name)) {
    throw invalid('may only use letters, digits, spaces and . _ - ( ) + = @ ,');
  }
  return name;
}

/** @param {string} why */
function invalid(why) {
  return new HttpError(400, 'invalid_name', `file name ${why}`);
}

/** @param {string} name */
function isFileName(name) {
  return name.length <= MAX_LENGTH && ALLOWED.test(name);
}

module.exports = { parseFileName, isFileName };
