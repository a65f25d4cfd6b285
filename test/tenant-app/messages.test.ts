import assert from 'assert/strict';
import { appendFileSync } from 'fs';
import path from 'path';
import { startApp, tempDirs, Dirs, RunningApp, IDENTITY, json, Message } from './harness';

describe('tenant app: messages', () => {
  let dirs: Dirs;
  let app: RunningApp;
  type Exchange = { message: Message; reply: Message };
  const post = (text: unknown) => fetch(`${app.url}/messages`, {
    method: 'POST', headers: { ...IDENTITY, 'content-type': 'application/json' }, body: JSON.stringify({ text }),
  });
  const send = async (text: string) => json<Exchange>(await post(text));
  const list = async (query = '') =>
    json<{ messages: Message[]; total: number }>(await fetch(`${app.url}/messages${query}`, { headers: IDENTITY }));

  before(async () => {
    dirs = tempDirs();
    app = await startApp(dirs);
  });
  after(async () => {
    await app.stop();
    dirs.remove();
  });

  it('stores a message and answers with a deterministic reply', async () => {
    const res = await post('hello there world');
    assert.equal(res.status, 201);
    const { message, reply } = await json<Exchange>(res);
    const { at, ...rest } = message;
    assert.deepEqual(rest, { id: 1, role: 'user', user: 'alice', text: 'hello there world' });
    assert.ok(!Number.isNaN(Date.parse(at)));
    assert.equal(reply.id, 2);
    assert.equal(reply.role, 'assistant');
    assert.equal(reply.text, 'You said "hello there world": 3 words. That makes 1 message in this conversation.');
  });

  it('counts messages in the reply', async () => {
    const { reply } = await send('again');
    assert.equal(reply.text, 'You said "again": 1 word. That makes 2 messages in this conversation.');
  });

  it('returns the last N with ?limit=N, oldest first', async () => {
    const { messages, total } = await list('?limit=3');
    assert.equal(total, 4);
    assert.deepEqual(messages.map((m) => m.id), [2, 3, 4]);
  });

  for (const [what, text] of [['an empty text', '  '], ['a number', 42], ['a 4001-character text', 'x'.repeat(4001)]]) {
    it(`refuses ${what} with 400`, async () => {
      assert.equal((await post(text)).status, 400);
    });
  }

  it('refuses a body that is not JSON with 400', async () => {
    const res = await fetch(`${app.url}/messages`, { method: 'POST', headers: IDENTITY, body: 'text=hi' });
    assert.equal(res.status, 400);
  });

  it('refuses a bad limit with 400', async () => {
    for (const limit of ['0', '-1', 'abc', '1001']) {
      assert.equal((await fetch(`${app.url}/messages?limit=${limit}`, { headers: IDENTITY })).status, 400);
    }
  });

  it('keeps the history across a restart with the same directories', async () => {
    assert.equal(await app.stop(), 0);
    app = await startApp(dirs);
    const { messages, total } = await list();
    assert.equal(total, 4);
    assert.equal(messages[0].text, 'hello there world');
    const { message, reply } = await send('after restart');
    assert.equal(message.id, 5);
    assert.match(reply.text, /That makes 3 messages/);
  });

  it('drops a torn last line left by a crash and keeps appending cleanly', async () => {
    await app.stop();
    appendFileSync(path.join(dirs.data, 'messages.jsonl'), '{"id":7,"role":"user","tex');
    app = await startApp(dirs);
    const { message } = await send('after crash');
    assert.equal(message.id, 7);
    const { messages, total } = await list('?limit=2');
    assert.equal(total, 8);
    assert.equal(messages[0].text, 'after crash');
  });
});
