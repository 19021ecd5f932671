// Edits, deletes, reactions, catching up on changes, and typing, with the
// official socket.io-client against a Confab server at CONFAB_URL
// (interop_test.go starts one). The shapes are docs/protocol.md's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './exit.mjs';
import { url, uniqueName, account, once, ack } from './helpers.mjs';
import { io } from 'socket.io-client';


async function pair(room) {
  const alice = await account('edita');
  const bob = await account('editb');
  const a = io(url, { auth: { token: alice.token }, forceNew: true });
  const b = io(url, { auth: { token: bob.token }, forceNew: true });
  await Promise.all([once(a, 'connect'), once(b, 'connect')]);
  assert.equal((await ack(a, 'join', { room })).ok, true);
  assert.equal((await ack(b, 'join', { room })).ok, true);
  return { alice, bob, a, b };
}

test('edit and delete own messages; others see updates; others cannot', async () => {
  const room = uniqueName('edits');
  const { alice, a, b } = await pair(room);
  try {
    const sent = await ack(a, 'message', { room, text: 'helo' });
    const id = sent.message.id;
    assert.deepEqual(await ack(b, 'edit', { id, text: 'mine' }), { ok: false, error: 'not_author' });
    assert.deepEqual(await ack(b, 'delete', { id }), { ok: false, error: 'not_author' });

    let update = once(b, 'update');
    const edited = await ack(a, 'edit', { id, text: 'hello' });
    assert.equal(edited.ok, true);
    assert.equal(edited.message.text, 'hello');
    assert.ok(!Number.isNaN(Date.parse(edited.message.editedAt)));
    let [msg] = await update;
    assert.equal(msg.id, id);
    assert.equal(msg.text, 'hello');
    assert.equal(msg.rev, edited.message.rev);
    assert.equal(msg.author.id, alice.user.id);

    update = once(b, 'update');
    const deleted = await ack(a, 'delete', { id });
    assert.equal(deleted.ok, true);
    [msg] = await update;
    assert.equal(msg.deleted, true);
    assert.equal(msg.text, '');
    const hist = await ack(b, 'history', { room });
    assert.equal(hist.messages.at(-1).deleted, true);
    assert.equal(hist.messages.at(-1).text, '');
    assert.deepEqual(await ack(a, 'edit', { id, text: 'back' }), { ok: false, error: 'message_deleted' });
    assert.deepEqual(await ack(a, 'edit', { id: 'nope', text: 'x' }), { ok: false, error: 'bad_request' });
    assert.deepEqual(await ack(a, 'edit', { id: 987654321, text: 'x' }), { ok: false, error: 'not_found' });
    assert.deepEqual(await ack(a, 'edit', { id, text: 'x'.repeat(4001) }), { ok: false, error: 'invalid_message' });
  } finally {
    a.close();
    b.close();
  }
});

test('reactions toggle, count and reach the room', async () => {
  const room = uniqueName('reacts');
  const { alice, bob, a, b } = await pair(room);
  try {
    const { message } = await ack(a, 'message', { room, text: 'react to me' });
    assert.deepEqual(await ack(b, 'react', { id: message.id, emoji: '🍕' }), { ok: false, error: 'invalid_emoji' });
    const update = once(a, 'update');
    const res = await ack(b, 'react', { id: message.id, emoji: '👍' });
    assert.deepEqual(res.message.reactions, [{ emoji: '👍', count: 1, users: [bob.user.id] }]);
    const [msg] = await update;
    assert.deepEqual(msg.reactions, [{ emoji: '👍', count: 1, users: [bob.user.id] }]);
    await ack(a, 'react', { id: message.id, emoji: '👍', on: true });
    const off = await ack(b, 'react', { id: message.id, emoji: '👍' }); // toggled off
    assert.deepEqual(off.message.reactions, [{ emoji: '👍', count: 1, users: [alice.user.id] }]);
  } finally {
    a.close();
    b.close();
  }
});

test('changes since a change number catch up an absent client', async () => {
  const room = uniqueName('catchup');
  const { bob, a, b } = await pair(room);
  try {
    const one = (await ack(a, 'message', { room, text: 'one' })).message;
    const two = (await ack(a, 'message', { room, text: 'two' })).message;
    const joined = await ack(b, 'join', { room });
    const since = joined.seq;
    b.close(); // bob is away
    await ack(a, 'edit', { id: one.id, text: 'uno' });
    await ack(a, 'delete', { id: two.id });
    const back = io(url, { auth: { token: bob.token }, forceNew: true });
    try {
      await once(back, 'connect');
      let res = await ack(back, 'changes', { room, since, limit: 1 });
      assert.equal(res.ok, true);
      assert.equal(res.more, true);
      assert.deepEqual(res.messages.map((m) => m.id), [one.id]);
      assert.equal(res.messages[0].text, 'uno');
      res = await ack(back, 'changes', { room, since: res.seq });
      assert.equal(res.more, undefined);
      assert.deepEqual(res.messages.map((m) => [m.id, m.deleted]), [[two.id, true]]);
      assert.equal(res.seq, since + 2);
    } finally {
      back.close();
    }
  } finally {
    a.close();
  }
});

test('typing is relayed to the others with an expiry', async () => {
  const room = uniqueName('typing');
  const { alice, a, b } = await pair(room);
  try {
    const typing = once(b, 'typing');
    assert.deepEqual(await ack(a, 'typing', { room }), { ok: true });
    const [t] = await typing;
    assert.deepEqual(t, { room, user: { id: alice.user.id, username: alice.user.username }, expiresIn: 6000 });
    assert.deepEqual(await ack(a, 'typing', { room: 'Not Valid' }), { ok: false, error: 'invalid_room' });
  } finally {
    a.close();
    b.close();
  }
});
