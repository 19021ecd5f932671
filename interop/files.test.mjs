// Files and images over HTTP (POST /files, PATCH and HEAD /uploads/<id>,
// GET /files/<id>) with Node's fetch, and the message that carries a file
// with the official socket.io-client, against a Confab server at
// CONFAB_URL (interop_test.go starts one). The shapes are
// docs/protocol.md's, "Files and images".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './exit.mjs';
import { url, uniqueName, account, once, ack } from './helpers.mjs';
import { createHash } from 'node:crypto';
import { io } from 'socket.io-client';

const bearer = (token) => ({ Authorization: 'Bearer ' + token });

async function start(token, body) {
  return fetch(url + '/files', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...bearer(token) },
    body: JSON.stringify(body),
  });
}

const patch = (token, id, offset, bytes) =>
  fetch(url + '/uploads/' + id, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(offset), ...bearer(token) },
    body: bytes,
  });

test('an upload in two parts posts a message to the room; the file downloads as an attachment', async () => {
  const room = uniqueName('files');
  const alice = await account('filea');
  const bob = await account('fileb');
  const b = io(url, { auth: { token: bob.token }, forceNew: true });
  try {
    await once(b, 'connect');
    assert.equal((await ack(b, 'join', { room })).ok, true);
    const bytes = Buffer.from('<html><script>alert(1)</script></html>'.repeat(100));
    let res = await start(alice.token, { room, name: 'page.html', size: bytes.length, text: 'a page', clientId: 'f1' });
    assert.equal(res.status, 201);
    const up = await res.json();
    assert.equal(res.headers.get('location'), '/uploads/' + up.id);
    assert.deepEqual({ size: up.size, offset: up.offset }, { size: bytes.length, offset: 0 });

    res = await patch(alice.token, up.id, 0, bytes.subarray(0, 1000));
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('upload-offset'), '1000');
    res = await fetch(url + '/uploads/' + up.id, { method: 'HEAD', headers: bearer(alice.token) });
    assert.equal(res.headers.get('upload-offset'), '1000');
    res = await patch(alice.token, up.id, 0, bytes.subarray(0, 10));
    assert.equal(res.status, 409);
    assert.equal((await res.json()).error, 'offset_mismatch');

    const arrived = once(b, 'message');
    res = await patch(alice.token, up.id, 1000, bytes.subarray(1000));
    assert.equal(res.status, 201);
    const { message } = await res.json();
    const hash = createHash('sha256').update(bytes).digest('hex');
    assert.equal(message.text, 'a page');
    assert.deepEqual(message.attachment, { name: 'page.html', size: bytes.length, type: 'application/octet-stream', hash });
    const [relayed] = await arrived;
    assert.deepEqual(relayed.attachment, message.attachment);
    const hist = await ack(b, 'history', { room });
    assert.deepEqual(hist.messages.at(-1).attachment, message.attachment);

    res = await fetch(url + '/files/' + message.id, { headers: bearer(bob.token) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.match(res.headers.get('content-disposition'), /^attachment; filename=page\.html$/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy'), /default-src 'none'/);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
    res = await fetch(url + '/files/' + message.id + '/thumb', { headers: bearer(bob.token) });
    assert.equal(res.status, 404);
  } finally {
    b.disconnect();
  }
});

test('file calls need a token; the size limit is refused up front', async () => {
  const alice = await account('filec');
  let res = await start('', { room: 'general', name: 'x', size: 1 });
  assert.equal(res.status, 401);
  res = await fetch(url + '/files/1');
  assert.equal(res.status, 401);
  res = await start(alice.token, { room: 'general', name: 'x', size: 100 * 1024 * 1024 + 1 });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error, 'file_too_large');
  res = await start(alice.token, { room: 'general', name: '\u0007', size: 1 });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, 'invalid_file');
});
