// @ts-check
'use strict';

/**
 * Every setting in one place: env name, default and validation. A bad value stops the app at start
 * with a message naming the variable, rather than failing later on some request.
 *
 * @typedef {object} Config
 * @property {number} port            PORT, default 8080 (0 picks a free port; tests use it)
 * @property {number[]} extraPorts    DORMER_PORTS, default none: comma-separated ports (tenants.yaml `ports`)
 *                                    also served, the same app on each
 * @property {string} host            HOST, default 0.0.0.0
 * @property {string} tenantId        DORMER_TENANT_ID, required: the only tenant this container serves
 * @property {string} filesDir        FILES_DIR, default /data/files (the files volume)
 * @property {string} dataDir         DATA_DIR, default /data/state (the data volume)
 * @property {number} maxUploadBytes  MAX_UPLOAD_MB, default 100 (MiB per file)
 */

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {Config}
 */
function loadConfig(env) {
  const tenantId = (env.DORMER_TENANT_ID || '').trim();
  // Without it the 403 check would have nothing to compare with; failing loudly beats serving anyone.
  if (!tenantId) throw new Error('DORMER_TENANT_ID: must be set to the tenant this container serves');
  return {
    port: intSetting(env, 'PORT', 8080, 0, 65535),
    extraPorts: portList(env, 'DORMER_PORTS'),
    host: env.HOST || '0.0.0.0',
    tenantId,
    filesDir: env.FILES_DIR || '/data/files',
    dataDir: env.DATA_DIR || '/data/state',
    maxUploadBytes: intSetting(env, 'MAX_UPLOAD_MB', 100, 1, 1024 * 1024) * 1024 * 1024,
  };
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {string} name
 * @param {number} fallback
 * @param {number} min
 * @param {number} max
 */
function intSetting(env, name, fallback, min, max) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}: must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {string} name
 * @returns {number[]}
 */
function portList(env, name) {
  const raw = (env[name] || '').trim();
  if (!raw) return [];
  return raw.split(',').map((item) => {
    const port = Number(item.trim());
    if (!/^\d+$/.test(item.trim()) || port < 1 || port > 65535) {
      throw new Error(`${name}: must be comma-separated ports from 1 to 65535, got "${raw}"`);
    }
    return port;
  });
}

module.exports = { loadConfig };
