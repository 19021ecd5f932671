// Mentions, with the official socket.io-client against a Confab server at
// CONFAB_URL (interop_test.go starts one). The shapes are docs/protocol.md's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './exit.mjs';
import { url, uniqueName, account, once, ack } from './helpers.mjs';
import { io } from 'socket.io-client';


test('a mention reaches the named user outside the room, once', async () => {
  const room = uniqueName('mentions');
  const alice = await account('menta');
  const bob = await account('mentb');
  const a = io(url, { auth: { token: alice.token }, forceNew: true });
  const b = io(url, { auth: { token: bob.token }, forceNew: true });
  try {
    await Promise.all([once(a, 'connect'), once(b, 'connect')]);
    assert.equal((await ack(a, 'join', { room })).ok, true);
    let mentions = 0;
    b.on('mention', () => mentions++);
    const got = once(b, 'mention');
    const text = `@${bob.user.username.toUpperCase()} and @${alice.user.username}, look`;
    const sent = await ack(a, 'message', { room, text });
    assert.equal(sent.ok, true);
    const [msg] = await got;
    assert.equal(msg.id, sent.message.id);
    assert.equal(msg.room, room);
    assert.equal(msg.text, text);
    assert.equal(msg.author.id, alice.user.id);

    // Once bob is in the room, a mention comes as a message only.
    assert.equal((await ack(b, 'join', { room })).ok, true);
    const asMessage = once(b, 'message');
    await ack(a, 'message', { room, text: `@${bob.user.username} again` });
    await asMessage;
    await ack(b, 'history', { room }); // a round trip: anything sent before it has arrived
    assert.equal(mentions, 1);
  } finally {
    a.close();
    b.close();
  }
});
