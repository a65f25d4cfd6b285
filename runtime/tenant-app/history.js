// @ts-check
'use strict';

const fs = require('fs');
const fsp = require('fs/promises');
const path = require('path');
const { log } = require('./log');

/**
 * @typedef {object} Message
 * @property {number} id     1, 2, 3... in the order written
 * @property {'user' | 'assistant'} role
 * @property {string} user   the X-User-ID that wrote it, or "assistant"
 * @property {string} text
 * @property {string} at     ISO time
 */

/** How many recent messages are kept in memory; GET /messages can return at most this many. */
const KEEP = 1000;

/**
 * The tenant's conversation: an append-only JSONL file on the data volume, fsynced on every append so
 * an acknowledged message survives the container being stopped or killed. The container serves one
 * tenant and the volume is that tenant's, so the file is the tenant's history.
 */
class History {
  /** @param {string} dir */
  constructor(dir) {
    this.file = path.join(dir, 'messages.jsonl');
    /** @type {Message[]} the last KEEP messages */
    this.recent = [];
    this.count = 0;
    this.userCount = 0;
    /** @type {import('fs/promises').FileHandle | null} */
    this.handle = null;
    // Appends run one at a time so ids stay in file order.
    /** @type {Promise<unknown>} */
    this.queue = Promise.resolve();
  }

  async open() {
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    await this.load();
    this.handle = await fsp.open(this.file, 'a');
  }

  /** Reads the file line by line, keeping only the tail in memory, and repairs a torn last line. */
  async load() {
    let rest = '';
    let completeBytes = 0;
    try {
      for await (const chunk of fs.createReadStream(this.file, { encoding: 'utf8' })) {
        const lines = (rest + chunk).split('\n');
        rest = /** @type {string} */ (lines.pop());
        for (const line of lines) {
          completeBytes += Buffer.byteLength(line) + 1;
          if (line) this.rememberLine(line);
        }
      }
    } catch (err) {
      if (err && typeof err === 'object' && 'code' in err && err.code === 'ENOENT') return;
      throw err;
    }
    if (rest) {
      // A crash mid-append leaves a line without its newline; it was never acknowledged, and leaving
      // it would glue the next append onto it.
      await fsp.truncate(this.file, completeBytes);
      log('warn', 'dropped an unfinished history line', { bytes: Buffer.byteLength(rest) });
    }
  }

  /**
   * One unreadable line (say, from a full disk) must not keep the tenant's app from starting.
   * @param {string} line
   */
  rememberLine(line) {
    try {
      this.remember(JSON.parse(line));
    } catch {
      log('warn', 'skipped an unreadable history line', { bytes: Buffer.byteLength(line) });
    }
  }

  /** @param {Message} message */
  remember(message) {
    this.count = Math.max(this.count, message.id);
    if (message.role === 'user') this.userCount += 1;
    this.recent.push(message);
    if (this.recent.length > KEEP) this.recent.shift();
  }

  /**
   * Appends the user's message and the reply made from it in one write and one fsync.
   * @param {string} user
   * @param {string} text
   * @param {(text: string, userCount: number) => string} reply
   * @returns {Promise<{ message: Message, reply: Message }>}
   */
  append(user, text, reply) {
    const run = this.queue.then(async () => {
      const handle = /** @type {import('fs/promises').FileHandle} */ (this.handle);
      const at = new Date().toISOString();
      /** @type {Message} */
      const message = { id: this.count + 1, role: 'user', user, text, at };
      /** @type {Message} */
      const answer = {
        id: this.count + 2,
        role: 'assistant',
        user: 'assistant',
        text: reply(text, this.userCount + 1),
        at,
      };
      await handle.write(JSON.stringify(message) + '\n' + JSON.stringify(answer) + '\n');
      await handle.sync();
      this.remember(message);
      this.remember(answer);
      return { message, reply: answer };
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /** @param {number} limit  at most KEEP */
  last(limit) {
    return this.recent.slice(-limit);
  }

  async close() {
    await this.queue;
    await this.handle?.close();
    this.handle = null;
  }
}

module.exports = { History, KEEP };
