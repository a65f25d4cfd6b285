// @ts-check
'use strict';

/**
 * One JSON object per line on stdout, so `docker logs` output can be parsed by the runtime and by tests.
 * @param {'info' | 'warn' | 'error'} level
 * @param {string} msg
 * @param {Record<string, unknown>} [fields]
 */
function log(level, msg, fields = {}) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
}

module.exports = { log };
