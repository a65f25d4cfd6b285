// @ts-check
'use strict';

const { HttpError } = require('./respond');

/**
 * The supervisor strips whatever identity headers a client sent and sets verified ones, so here they
 * are trusted. The tenant check is defence in depth: a request routed to the wrong container is refused.
 *
 * @param {import('http').IncomingHttpHeaders} headers
 * @param {string} tenantId  the tenant this container serves
 * @returns {{ user: string, tenant: string }}
 * @throws {HttpError} 401 without both headers, 403 for another tenant
 */
function identify(headers, tenantId) {
  const user = single(headers['x-user-id']);
  const tenant = single(headers['x-tenant-id']);
  if (!user || !tenant) {
    throw new HttpError(401, 'unauthenticated', 'X-User-ID and X-Tenant-ID headers are required');
  }
  if (tenant !== tenantId) {
    throw new HttpError(403, 'wrong_tenant', 'this container does not serve that tenant');
  }
  return { user, tenant };
}

/**
 * Node joins repeated headers with ", "; only one clean value is accepted.
 * @param {string | string[] | undefined} value
 */
function single(value) {
  if (typeof value !== 'string') return '';
  const trimmed = value.trim();
  return trimmed.length <= 200 && !trimmed.includes(',') ? trimmed : '';
}

module.exports = { identify };
