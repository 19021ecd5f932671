// What every interop test file needs: the server to talk to, fresh
// accounts, and waiting for an event or an acknowledgement with a bound.
import assert from 'node:assert/strict';

export const url = process.env.CONFAB_URL;
assert.ok(url, 'CONFAB_URL must point at a running Confab server');

let counter = 0;
export const uniqueName = (base) => `${base}${process.pid % 10000}${counter++}`;

export async function account(base) {
  const username = uniqueName(base);
  const res = await fetch(url + '/register', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: 'password-' + username }),
  });
  assert.equal(res.status, 201);
  return res.json();
}

export const once = (emitter, event, ms = 5000) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });

export const ack = (socket, event, payload) => socket.timeout(5000).emitWithAck(event, payload);
