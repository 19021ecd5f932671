// The official client against a cluster: CONFAB_URL is HAProxy in front of
// CONFAB_NODES nodes on PostgreSQL (cluster_test.go starts them; the seeds'
// suite leaves this file out). The clients start with
// long-polling and upgrade to a websocket, as the seeds' do: every request
// of a session must reach the node that holds it (docs/loadbalancer.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './exit.mjs';
import { io } from 'socket.io-client';
import { url, account, once, ack } from './helpers.mjs';

const nodes = Number(process.env.CONFAB_NODES || 1);

async function until(what, cond, ms = 30000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('every message reaches every member once, in id order, whatever node each is on', async () => {
  const clients = [];
  try {
    for (let u = 0; u < 3; u++) {
      const { token } = await account('cluster');
      for (let i = 0; i < 3; i++) {
        // The seed 003 way (token in the query), the v4 way (auth), and
        // long-polling only, which never leaves its first transport.
        const opts = [{ query: { token } }, { auth: { token } }, { auth: { token }, transports: ['polling'] }][i];
        const socket = io(url, { ...opts, forceNew: true, reconnection: false });
        const c = { socket, got: [], own: new Set() };
        socket.on('message', (m) => c.got.push(m.id));
        clients.push(c);
        await once(socket, 'connect', 10000);
      }
    }
    // Long-polling sessions keep working through the balancer: a few
    // round trips each (without routing by sid, two in three would fail).
    for (const c of clients) {
      for (let i = 0; i < 3; i++) assert.equal((await ack(c.socket, 'users', {})).ok, true);
    }
    if (nodes > 1) {
      const seen = new Set(clients.map((c) => c.socket.io.engine.id.split('.')[0]));
      assert.equal(seen.size, nodes, `clients reached ${[...seen]}, want ${nodes} nodes`);
    }
    const sent = [];
    await Promise.all(clients.map(async (c, i) => {
      for (let j = 0; j < 3; j++) {
        const res = await ack(c.socket, 'message', { text: `js ${i} says ${j}`, clientId: `js-${process.pid}-${i}-${j}` });
        assert.equal(res.ok, true, JSON.stringify(res));
        c.own.add(res.message.id);
        sent.push(res.message.id);
      }
    }));
    await until('every member to receive every other message',
      () => clients.every((c) => c.got.length >= sent.length - c.own.size));
    for (const c of clients) {
      const want = sent.filter((id) => !c.own.has(id)).sort((a, b) => a - b);
      assert.deepEqual(c.got, want, `on ${c.socket.io.engine.id.split('.')[0]}: received in this order, once each`);
    }
  } finally {
    for (const c of clients) c.socket.close();
  }
});
