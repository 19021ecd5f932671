// Direct messages and private groups with the official socket.io-client
// against a Confab server at CONFAB_URL (interop_test.go starts one): a DM
// between two users, what a third one is answered (exactly what a
// conversation that does not exist is), unread counts and groups. The
// shapes are docs/protocol.md's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './exit.mjs';
import { url, uniqueName, account, once, ack } from './helpers.mjs';
import { io } from 'socket.io-client';


async function people(...bases) {
  const sessions = await Promise.all(bases.map(account));
  const sockets = sessions.map((s) => io(url, { auth: { token: s.token }, forceNew: true }));
  await Promise.all(sockets.map((s) => once(s, 'connect')));
  return { sessions, sockets, close: () => sockets.forEach((s) => s.close()) };
}

test('a DM between two users: one per pair, live, history, unread', async () => {
  const { sessions: [alice, bob], sockets: [a, b], close } = await people('dma', 'dmb');
  try {
    const told = once(b, 'conversation');
    const opened = await ack(a, 'dm', { username: bob.user.username });
    assert.equal(opened.ok, true);
    const room = opened.conversation.room;
    assert.match(room, /^~[1-9][0-9]*$/);
    assert.equal(opened.conversation.kind, 'dm');
    assert.deepEqual(opened.conversation.members.map((m) => m.id).sort(), [alice.user.id, bob.user.id].sort());
    const [conv] = await told;
    assert.equal(conv.room, room);
    assert.equal((await ack(b, 'dm', { user: alice.user.id })).conversation.room, room);

    assert.equal((await ack(a, 'join', { room })).ok, true);
    assert.equal((await ack(b, 'join', { room })).ok, true);
    const got = once(b, 'message');
    const sent = await ack(a, 'message', { room, text: 'just us' });
    assert.equal(sent.ok, true);
    const [msg] = await got;
    assert.equal(msg.id, sent.message.id);
    assert.equal(msg.room, room);

    const list = await ack(b, 'conversations', {});
    const mine = list.conversations.find((c) => c.room === room);
    assert.equal(mine.unread, 1);
    assert.equal(mine.lastId, sent.message.id);
    const read = await ack(b, 'read', { room, id: sent.message.id });
    assert.equal(read.conversation.unread, 0);
    assert.equal(read.conversation.readId, sent.message.id);
    assert.deepEqual(await ack(a, 'dm', { username: alice.user.username }), { ok: false, error: 'bad_request' });
    assert.deepEqual(await ack(a, 'dm', { username: 'nobody-here' }), { ok: false, error: 'no_such_user' });
  } finally {
    close();
  }
});

test('a non-member gets what a conversation that does not exist gets', async () => {
  const { sessions: [, bob], sockets: [a, , c], close } = await people('dmha', 'dmhb', 'dmhc');
  try {
    const { conversation } = await ack(a, 'dm', { username: bob.user.username });
    const room = conversation.room;
    await ack(a, 'join', { room });
    const { message } = await ack(a, 'message', { room, text: 'secret' });
    const nowhere = '~987654321';
    for (const [event, payload] of [
      ['join', (r) => ({ room: r })],
      ['message', (r) => ({ room: r, text: 'hi' })],
      ['history', (r) => ({ room: r })],
      ['changes', (r) => ({ room: r, since: 0 })],
      ['typing', (r) => ({ room: r })],
      ['read', (r) => ({ room: r, id: message.id })],
      ['invite', (r) => ({ room: r, username: 'nobody' })],
      ['leaveGroup', (r) => ({ room: r })],
    ]) {
      const got = await ack(c, event, payload(room));
      assert.equal(got.ok, false, event);
      assert.deepEqual(got, await ack(c, event, payload(nowhere)), event);
    }
    for (const [event, extra] of [['edit', { text: 'x' }], ['delete', {}], ['react', { emoji: '👍' }]]) {
      assert.deepEqual(await ack(c, event, { id: message.id, ...extra }), await ack(c, event, { id: 987654321, ...extra }), event);
    }
    assert.deepEqual((await ack(c, 'conversations', {})).conversations, []);
  } finally {
    close();
  }
});

test('a private group: created, invited to, left', async () => {
  const { sessions: [, bob, carol], sockets: [a, b, c], close } = await people('dmga', 'dmgb', 'dmgc');
  try {
    const told = once(b, 'conversation');
    const made = await ack(a, 'group', { name: 'Launch', members: [bob.user.username] });
    assert.equal(made.ok, true);
    const room = made.conversation.room;
    assert.equal(made.conversation.kind, 'group');
    assert.equal(made.conversation.name, 'Launch');
    assert.equal((await told)[0].room, room);
    assert.deepEqual(await ack(c, 'history', { room }), { ok: false, error: 'not_found' });

    const invited = once(c, 'conversation');
    assert.equal((await ack(b, 'invite', { room, username: carol.user.username })).ok, true);
    assert.equal((await invited)[0].members.length, 3);
    assert.equal((await ack(c, 'history', { room })).ok, true);
    assert.deepEqual(await ack(c, 'leaveGroup', { room }), { ok: true });
    assert.deepEqual(await ack(c, 'history', { room }), { ok: false, error: 'not_found' });
  } finally {
    close();
  }
});
