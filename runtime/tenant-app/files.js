// @ts-check
'use strict';

const fs = require('fs');
const fsp = require('fs/promises');
const path = require('path');
const crypto = require('crypto');
const { pipeline } = require('stream/promises');
const { sendJson, HttpError } = require('./respond');
const { isFileName } = require('./file-name');
const { log } = require('./log');

const TEMP_PREFIX = '.upload-';

/**
 * The files API over one directory (the tenant's files volume). Bodies are streamed both ways;
 * an upload lands in a temp file that is renamed into place only when complete, so a crash or a
 * dropped connection never leaves half a file under a real name.
 */
class FileStore {
  /**
   * @param {string} dir
   * @param {number} maxUploadBytes
   */
  constructor(dir, maxUploadBytes) {
    this.dir = dir;
    this.maxUploadBytes = maxUploadBytes;
  }

  /** Creates the directory and removes temp files left by a previous run that died mid-upload. */
  async open() {
    await fsp.mkdir(this.dir, { recursive: true });
    for (const entry of await fsp.readdir(this.dir)) {
      if (entry.startsWith(TEMP_PREFIX)) {
        await fsp.rm(path.join(this.dir, entry), { force: true });
        log('warn', 'removed unfinished upload', { file: entry });
      }
    }
  }

  /** @param {import('http').ServerResponse} res */
  async list(res) {
    const entries = await fsp.readdir(this.dir, { withFileTypes: true });
    const files = [];
    for (const entry of entries) {
      if (!entry.isFile() || !isFileName(entry.name)) continue;
      const stat = await statOrNull(path.join(this.dir, entry.name));
      if (stat) files.push({ name: entry.name, size: stat.size, modified: stat.mtime.toISOString() });
    }
    files.sort((a, b) => a.name.localeCompare(b.name));
    sendJson(res, 200, { files });
  }

  /**
   * @param {string} name  already validated
   * @param {import('http').IncomingMessage} req
   * @param {import('http').ServerResponse} res
   */
  async put(name, req, res) {
    const declared = Number(req.headers['content-length']);
    if (declared > this.maxUploadBytes) throw tooLarge(this.maxUploadBytes);
    const finalPath = path.join(this.dir, name);
    const tempPath = path.join(this.dir, TEMP_PREFIX + crypto.randomUUID());
    const handle = await fsp.open(tempPath, 'wx');
    try {
      // One chunk at a time: the next is read only once this one is on disk (backpressure), and the
      // running count caps a body that has no Content-Length or lies about it.
      let size = 0;
      for await (const chunk of req) {
        size += chunk.length;
        if (size > this.maxUploadBytes) throw tooLarge(this.maxUploadBytes);
        await handle.writeFile(chunk); // unlike write(), loops until the whole chunk is written
      }
      await handle.sync();
      await handle.close();
      const existed = (await statOrNull(finalPath)) !== null;
      await fsp.rename(tempPath, finalPath);
      const stat = await fsp.stat(finalPath);
      sendJson(res, existed ? 200 : 201, { name, size: stat.size, modified: stat.mtime.toISOString() });
    } catch (err) {
      await handle.close().catch(() => {});
      await fsp.rm(tempPath, { force: true });
      throw err;
    }
  }

  /**
   * @param {string} name
   * @param {import('http').ServerResponse} res
   */
  async get(name, res) {
    const filePath = path.join(this.dir, name);
    const stat = await statOrNull(filePath);
    if (!stat || !stat.isFile()) throw notFound(name);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': stat.size,
      'last-modified': stat.mtime.toUTCString(),
      // Uploaded HTML must never run as this origin's page: always a download, never sniffed.
      'content-disposition': `attachment; filename="${name}"`,
      'x-content-type-options': 'nosniff',
    });
    // Headers are sent, so a read error can only cut the response short; pipeline destroys it.
    await pipeline(fs.createReadStream(filePath), res).catch((err) => {
      log('warn', 'file download interrupted', { file: name, error: String(err) });
    });
  }

  /**
   * @param {string} name
   * @param {import('http').ServerResponse} res
   */
  async remove(name, res) {
    try {
      await fsp.unlink(path.join(this.dir, name));
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw notFound(name);
      throw err;
    }
    res.writeHead(204).end();
  }
}

/** @param {number} limit */
function tooLarge(limit) {
  return new HttpError(413, 'too_large', `files must be at most ${limit} bytes`);
}

/** @param {string} name */
function notFound(name) {
  return new HttpError(404, 'not_found', `no file named "${name}"`);
}

/** @param {string} filePath */
async function statOrNull(filePath) {
  try {
    return await fsp.stat(filePath);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** @param {unknown} err */
function errCode(err) {
  return err && typeof err === 'object' && 'code' in err ? err.code : undefined;
}

module.exports = { FileStore };
