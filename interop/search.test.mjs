// Search, with the official socket.io-client against a Confab server at
// CONFAB_URL (interop_test.go starts one). The shapes are docs/protocol.md's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './exit.mjs';
import { url, uniqueName, account, once, ack } from './helpers.mjs';
import { io } from 'socket.io-client';


test('search by words, author and room; pages; edits and deletes followed', async () => {
  const room = uniqueName('search');
  const word = uniqueName('zebra'); // this run's own word: other tests share the server
  const alice = await account('searcha');
  const bob = await account('searchb');
  const a = io(url, { auth: { token: alice.token }, forceNew: true });
  const b = io(url, { auth: { token: bob.token }, forceNew: true });
  try {
    await Promise.all([once(a, 'connect'), once(b, 'connect')]);
    assert.equal((await ack(a, 'join', { room })).ok, true);
    const ids = [];
    for (const text of [`the ${word} crossing`, `${word.toUpperCase()} again`, `nothing here`, `${word} gone`]) {
      ids.push((await ack(a, 'message', { room, text })).message.id);
    }
    assert.equal((await ack(a, 'edit', { id: ids[1], text: 'edited away' })).ok, true);
    assert.equal((await ack(a, 'delete', { id: ids[3] })).ok, true);

    // Bob never joined the room: it is public, so he finds it.
    const res = await ack(b, 'search', { query: word });
    assert.equal(res.ok, true);
    assert.equal(res.more, undefined);
    assert.deepEqual(res.results.map((h) => h.id), [ids[0]]);
    const [hit] = res.results;
    assert.equal(hit.room, room);
    assert.equal(hit.author.id, alice.user.id);
    assert.equal(hit.author.username, alice.user.username);
    assert.ok(!Number.isNaN(Date.parse(hit.sentAt)));
    assert.deepEqual(hit.snippet, [{ text: 'the ' }, { text: word, match: true }, { text: ' crossing' }]);

    const byAuthor = await ack(b, 'search', { author: alice.user.username.toUpperCase(), room });
    assert.deepEqual(byAuthor.results.map((h) => h.id), [ids[2], ids[1], ids[0]]);
    const page = await ack(b, 'search', { author: alice.user.username, room, limit: 2 });
    assert.equal(page.more, true);
    const next = await ack(b, 'search', { author: alice.user.username, room, limit: 2, before: page.results[1].id });
    assert.deepEqual(next.results.map((h) => h.id), [ids[0]]);
    assert.deepEqual((await ack(b, 'search', { query: word, room: 'elsewhere' })).results, []);
  } finally {
    a.close();
    b.close();
  }
});

test('search words are never query syntax; limits', async () => {
  const bob = await account('searchh');
  const b = io(url, { auth: { token: bob.token }, forceNew: true });
  try {
    await once(b, 'connect');
    for (const query of ['"', 'NEAR(a b)', 'a OR b', '-a', '*', 'text:a', '{text}:a', '(', "a'; DROP TABLE messages; --"]) {
      const res = await ack(b, 'search', { query });
      assert.ok(res.ok === true || res.error === 'bad_request', `${query}: ${JSON.stringify(res)}`);
    }
    assert.equal((await ack(b, 'search', { query: 'é'.repeat(200) })).ok, true);
    assert.deepEqual(await ack(b, 'search', { query: 'é'.repeat(201) }), { ok: false, error: 'bad_request' });
    assert.deepEqual(await ack(b, 'search', { query: 'w '.repeat(9) }), { ok: false, error: 'bad_request' });
    assert.deepEqual(await ack(b, 'search', { query: 'w', limit: 51 }), { ok: false, error: 'bad_request' });
    assert.deepEqual(await ack(b, 'search', { query: '' }), { ok: false, error: 'bad_request' });
    assert.deepEqual(await ack(b, 'search', { query: 'w', room: 'Bad Room' }), { ok: false, error: 'invalid_room' });
  } finally {
    b.close();
  }
});
