// The seed tutorials' client code, run with the official socket.io-client
// against a Confab server at CONFAB_URL (interop_test.go starts one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './exit.mjs';
import { io } from 'socket.io-client';

const url = process.env.CONFAB_URL;
assert.ok(url, 'CONFAB_URL must point at a running Confab server');

let counter = 0;
const uniqueName = (base) => `${base}${process.pid % 10000}${counter++}`;

// $.post('/login', {...}) sends a form body: so do we.
async function postForm(path, fields) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

async function bearer(path, token) {
  const res = await fetch(url + path, { method: 'POST', headers: { Authorization: 'Bearer ' + token } });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

async function account(base) {
  const username = uniqueName(base);
  const reg = await postForm('/register', { username, password: 'password-' + username });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const login = await postForm('/login', { username, password: 'password-' + username });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body;
}

const once = (emitter, event, ms = 5000) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });

const ack = (socket, event, payload) => socket.timeout(5000).emitWithAck(event, payload);

// seed 001: $.post('/login') then io.connect('', { query: 'token=' + token })
test('seed 001: form login, then the token in a query string', async () => {
  const { token } = await account('seedone');
  const socket = io.connect(url, { query: 'token=' + token, forceNew: true });
  try {
    await once(socket, 'connect');
    const res = await ack(socket, 'users', {});
    assert.equal(res.ok, true);
  } finally {
    socket.close();
  }
});

// seed 003: io(url, { query: { token } }) and the 'new message' event with a callback
test('seed 003: query object, new message with callback, broadcast to the room', async () => {
  const alice = await account('alice');
  const bob = await account('bob');
  const a = io(url, { query: { token: alice.token }, forceNew: true });
  const b = io(url, { query: { token: bob.token }, forceNew: true });
  try {
    await Promise.all([once(a, 'connect'), once(b, 'connect')]);
    await ack(a, 'join', { room: 'seeds' });
    await ack(b, 'join', { room: 'seeds' });
    const received = once(b, 'message');
    // the seed's newMessage(message, callback); the author in the payload is ignored
    const created = await ack(a, 'new message', { chat: 'seeds', text: 'hello from the seed', author: bob.user.id });
    assert.equal(created.ok, true);
    assert.equal(created.message.author.username, alice.user.username);
    const [msg] = await received;
    assert.equal(msg.id, created.message.id);
    assert.equal(msg.text, 'hello from the seed');
    assert.equal(msg.room, 'seeds');
  } finally {
    a.close();
    b.close();
  }
});

// seed 003: refresh the token and hand the new one over on reconnect_attempt
test('seed 003: refreshed token used on reconnect_attempt', async () => {
  const first = await account('refresher');
  const socket = io(url, { query: { token: first.token }, forceNew: true, reconnectionDelay: 200, reconnectionDelayMax: 400 });
  try {
    await once(socket, 'connect');
    // A logout ends a whole sign-in, the tokens refreshed from it too; so
    // the token handed over is a refreshed one of a second sign-in, and
    // logging out the first proves the handover.
    const { username } = first.user;
    const second = await postForm('/login', { username, password: 'password-' + username });
    assert.equal(second.status, 200);
    const refreshed = await bearer('/refresh', second.body.token);
    assert.equal(refreshed.status, 200);
    // v4 moved reconnect_attempt from the socket to its manager (socket.io).
    socket.io.on('reconnect_attempt', () => {
      socket.io.opts.query = { token: refreshed.body.token };
    });
    const disconnected = once(socket, 'disconnect');
    socket.io.engine.close(); // a network drop: the client will reconnect
    await disconnected;
    // The old token's sign-in is now over: only the handed-over token can get back in.
    assert.equal((await bearer('/logout', first.token)).status, 204);
    await once(socket, 'connect', 8000);
    assert.equal((await ack(socket, 'users', {})).ok, true);
  } finally {
    socket.close();
  }
});

// A logout ends the sign-in: a token refreshed from the logged-out one is refused too
test('logout ends the tokens refreshed from it', async () => {
  const first = await account('family');
  const refreshed = await bearer('/refresh', first.token);
  assert.equal(refreshed.status, 200);
  assert.equal((await bearer('/logout', first.token)).status, 204);
  const again = await bearer('/refresh', refreshed.body.token);
  assert.equal(again.status, 401);
  assert.equal(again.body.error, 'token_revoked');
  const socket = io(url, { auth: { token: refreshed.body.token }, forceNew: true, reconnection: false });
  try {
    const [err] = await once(socket, 'connect_error');
    assert.equal(err.data.reason, 'token_revoked');
  } finally {
    socket.close();
  }
});

// v4 clients: auth: { token }, and auth as a callback for the newest token
test('auth payload, and in-band auth refresh', async () => {
  const { token } = await account('authpayload');
  const socket = io(url, { auth: { token }, forceNew: true });
  try {
    await once(socket, 'connect');
    const refreshed = await bearer('/refresh', token);
    const res = await ack(socket, 'auth', { token: refreshed.body.token });
    assert.equal(res.ok, true);
    assert.equal(res.expiresAt, refreshed.body.expiresAt);
  } finally {
    socket.close();
  }
});

// seed 000: unauthenticated users are refused and told why
test('seed 000: no token, bad token, revoked token are refused with a reason', async () => {
  const { token } = await account('refused');
  const attempt = async (opts) => {
    const socket = io(url, { ...opts, forceNew: true, reconnection: false });
    try {
      const [err] = await once(socket, 'connect_error');
      return err;
    } finally {
      socket.close();
    }
  };
  let err = await attempt({});
  assert.equal(err.message, 'unauthorized');
  assert.equal(err.data.reason, 'missing_token');
  err = await attempt({ query: { token: token + 'x' } });
  assert.equal(err.data.reason, 'invalid_token');
  await bearer('/logout', token);
  err = await attempt({ auth: { token } });
  assert.equal(err.data.reason, 'token_revoked');
});

// seed 000: every event is verified; a signed-out socket is told and closed
test('seed 000: logout elsewhere sends unauthorized and disconnects', async () => {
  const { token } = await account('kicked');
  const socket = io(url, { auth: { token }, forceNew: true });
  try {
    await once(socket, 'connect');
    const told = once(socket, 'unauthorized');
    const gone = once(socket, 'disconnect');
    assert.equal((await bearer('/logout', token)).status, 204);
    const [payload] = await told;
    assert.deepEqual(payload, { reason: 'token_revoked' });
    const [reason] = await gone;
    assert.equal(reason, 'io server disconnect'); // the client does not retry a dead token
  } finally {
    socket.close();
  }
});

test('getUser, history and presence as the seeds use them', async () => {
  const alice = await account('carol');
  const bob = await account('dave');
  const a = io(url, { auth: { token: alice.token }, forceNew: true });
  try {
    await once(a, 'connect');
    const online = new Promise((resolve) =>
      a.on('presence', (p) => { if (p.user.id === bob.user.id) resolve([p]); }));
    const b = io(url, { auth: { token: bob.token }, forceNew: true });
    try {
      const [p] = await online;
      assert.deepEqual(p, { user: { id: bob.user.id, username: bob.user.username }, online: true });
      const user = await ack(a, 'getUser', bob.user.id); // a bare id, as the seed's getUser
      assert.deepEqual(user, { ok: true, user: { id: bob.user.id, username: bob.user.username, online: true } });
      await ack(a, 'message', { text: 'for the record' });
      const hist = await ack(b, 'history', { room: 'general', limit: 1 });
      assert.equal(hist.messages.length, 1);
      assert.equal(hist.messages[0].text, 'for the record');
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
});

test('malformed payloads get bad_request, oversized text invalid_message', async () => {
  const { token } = await account('sloppy');
  const socket = io(url, { auth: { token }, forceNew: true });
  try {
    await once(socket, 'connect');
    assert.deepEqual(await ack(socket, 'message', 'just a string'), { ok: false, error: 'bad_request' });
    assert.deepEqual(await ack(socket, 'message', { text: 'x'.repeat(4001) }), { ok: false, error: 'invalid_message' });
    assert.deepEqual(await ack(socket, 'join', { room: 'Not Valid' }), { ok: false, error: 'invalid_room' });
  } finally {
    socket.close();
  }
});
