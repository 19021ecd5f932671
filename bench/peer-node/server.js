// The benchmark's peer: Confab's wire contract (docs/protocol.md) written the
// way the seed tutorials write a server (express + socket.io + jsonwebtoken,
// the token checked in io.use and before every event), kept in memory, and
// made as fast as this stack allows: a KeyObject secret for jsonwebtoken,
// scrypt from the thread pool for passwords, no logging on the hot path.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const express = require('express');
const jwt = require('jsonwebtoken');
const { Server } = require('socket.io');

const PORT = Number(process.env.PORT || 7879);
const TTL = Number(process.env.TOKEN_TTL_SECONDS || 3600);
const RATE = Number(process.env.EVENT_RATE || 30); // events per second per socket
const BURST = Number(process.env.EVENT_BURST || 60);
const MAX_PAYLOAD = Number(process.env.MAX_PAYLOAD || 65536);
const secret = crypto.createSecretKey(Buffer.from(process.env.LOCAL_JWT_SECRET || crypto.randomBytes(32)));
const signOpts = { algorithm: 'HS256', expiresIn: TTL, issuer: 'confab', audience: 'confab' };
const verifyOpts = { algorithms: ['HS256'], issuer: 'confab', audience: 'confab' };

const users = new Map(); // lowercase name -> {id, username, salt, hash}
const usersById = new Map();
const revoked = new Set();
const rooms = new Map(); // room -> [messages]
const byClientId = new Map(); // userId + '\0' + clientId -> message
const online = new Map(); // userId -> socket count
let nextUserId = 1;
let nextMessageId = 1;

const ROOM = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const NAME = /^[A-Za-z0-9_.-]{3,32}$/;

const hash = (password, salt) =>
  new Promise((resolve, reject) => crypto.scrypt(password, salt, 32, (err, key) => (err ? reject(err) : resolve(key))));

function session(user) {
  const token = jwt.sign({ name: user.username, jti: crypto.randomUUID() }, secret, { ...signOpts, subject: user.id });
  const { exp } = jwt.decode(token);
  return { token, expiresAt: new Date(exp * 1000).toISOString(), user: { id: user.id, username: user.username } };
}

function verify(token) {
  if (!token) return { reason: 'missing_token' };
  let claims;
  try {
    claims = jwt.verify(token, secret, verifyOpts);
  } catch (err) {
    return { reason: err.name === 'TokenExpiredError' ? 'token_expired' : 'invalid_token' };
  }
  if (!claims.exp || !claims.jti) return { reason: 'invalid_token' };
  if (revoked.has(claims.jti)) return { reason: 'token_revoked' };
  if (!usersById.has(claims.sub)) return { reason: 'unknown_user' };
  return { claims };
}

const fail = (res, status, error, message) => res.status(status).json({ error, message });

const app = express();
app.use(express.json({ limit: '16kb' }));
app.use(express.urlencoded({ extended: false, limit: '16kb' }));

app.post('/register', async (req, res) => {
  const { username, password } = req.body || {};
  if (typeof username !== 'string' || typeof password !== 'string') return fail(res, 400, 'bad_request', 'username and password');
  if (!NAME.test(username)) return fail(res, 400, 'invalid_username', 'bad username');
  if ([...password].length < 8) return fail(res, 400, 'weak_password', 'too short');
  const key = username.toLowerCase();
  if (users.has(key)) return fail(res, 409, 'username_taken', 'taken');
  const salt = crypto.randomBytes(16);
  const user = { id: String(nextUserId++), username, salt, hash: await hash(password, salt) };
  if (users.has(key)) return fail(res, 409, 'username_taken', 'taken');
  users.set(key, user);
  usersById.set(user.id, user);
  res.status(201).json(session(user));
});

const dummySalt = crypto.randomBytes(16);
app.post('/login', async (req, res) => {
  const { username, password } = req.body || {};
  if (typeof username !== 'string' || typeof password !== 'string') return fail(res, 400, 'bad_request', 'username and password');
  const user = users.get(username.toLowerCase());
  const key = await hash(password, user ? user.salt : dummySalt);
  if (!user || !crypto.timingSafeEqual(key, user.hash)) return fail(res, 401, 'invalid_credentials', 'wrong username or password');
  res.json(session(user));
});

function bearer(req, res) {
  const header = req.get('authorization') || '';
  const result = verify(header.startsWith('Bearer ') ? header.slice(7) : '');
  if (result.reason) fail(res, 401, result.reason, result.reason);
  return result.claims;
}

app.post('/refresh', (req, res) => {
  const claims = bearer(req, res);
  if (claims) res.json(session(usersById.get(claims.sub)));
});

app.post('/logout', (req, res) => {
  const claims = bearer(req, res);
  if (!claims) return;
  revoked.add(claims.jti);
  for (const s of io.of('/').sockets.values()) {
    if (s.data.claims.jti === claims.jti) kick(s, 'token_revoked');
  }
  res.status(204).end();
});

app.get('/healthz', (req, res) => res.json({ status: 'ok', version: 'peer-node', protocol: 1 }));

const server = http.createServer(app);
const io = new Server(server, { maxHttpBufferSize: MAX_PAYLOAD, serveClient: false });

function kick(socket, reason) {
  socket.emit('unauthorized', { reason });
  socket.disconnect(true);
}

const view = (m) => m;
const userView = (u) => ({ id: u.id, username: u.username, online: (online.get(u.id) || 0) > 0 });

io.use((socket, next) => {
  const h = socket.handshake;
  const header = h.headers.authorization || '';
  const token = (h.auth && h.auth.token) || h.query.token || (header.startsWith('Bearer ') ? header.slice(7) : '');
  const result = verify(token);
  if (result.reason) {
    const err = new Error('unauthorized');
    err.data = { reason: result.reason };
    return next(err);
  }
  socket.data.claims = result.claims;
  next();
});

function store(socket, room, text, clientId) {
  const user = usersById.get(socket.data.claims.sub);
  const dedupKey = clientId ? user.id + '\0' + clientId : null;
  if (dedupKey && byClientId.has(dedupKey)) return { message: byClientId.get(dedupKey), created: false };
  const message = { id: nextMessageId++, room, author: { id: user.id, username: user.username }, text, sentAt: new Date().toISOString() };
  if (clientId) message.clientId = clientId;
  if (!rooms.has(room)) rooms.set(room, []);
  rooms.get(room).push(message);
  if (dedupKey) byClientId.set(dedupKey, message);
  return { message, created: true };
}

function send(socket, p, roomKey, ack) {
  if (!p || typeof p !== 'object') return ack({ ok: false, error: 'bad_request' });
  const room = p[roomKey] === undefined ? 'general' : p[roomKey];
  const text = typeof p.text === 'string' ? p.text.trim() : '';
  if (!text || [...text].length > 4000) return ack({ ok: false, error: 'invalid_message' });
  if (typeof room !== 'string' || !ROOM.test(room)) return ack({ ok: false, error: 'invalid_room' });
  if (!socket.rooms.has(room)) return ack({ ok: false, error: 'not_in_room' });
  const { message, created } = store(socket, room, text, typeof p.clientId === 'string' ? p.clientId : undefined);
  if (created) socket.to(room).emit('message', view(message));
  ack({ ok: true, message: view(message) });
}

function page(room, before, after, limit) {
  const list = rooms.get(room) || [];
  let out = list.filter((m) => (!before || m.id < before) && (!after || m.id > after));
  return after ? out.slice(0, limit) : out.slice(-limit);
}

io.on('connection', (socket) => {
  const userId = socket.data.claims.sub;
  const user = usersById.get(userId);
  socket.join('general');
  const count = (online.get(userId) || 0) + 1;
  online.set(userId, count);
  if (count === 1) io.emit('presence', { user: { id: user.id, username: user.username }, online: true });
  const timer = setTimeout(() => kick(socket, 'token_expired'), socket.data.claims.exp * 1000 - Date.now());
  let tokens = BURST;
  let last = Date.now();

  // The seeds' per-event check: every event re-verifies the token.
  socket.use(([event, ...args], next) => {
    const ack = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : () => {};
    const { claims } = socket.data;
    if (claims.exp * 1000 <= Date.now()) return kick(socket, 'token_expired');
    if (revoked.has(claims.jti)) return kick(socket, 'token_revoked');
    if (!usersById.has(claims.sub)) return kick(socket, 'unknown_user');
    const now = Date.now();
    tokens = Math.min(BURST, tokens + ((now - last) / 1000) * RATE);
    last = now;
    if (tokens < 1) return ack({ ok: false, error: 'rate_limited' });
    tokens -= 1;
    next();
  });

  socket.on('message', (p, ack = () => {}) => send(socket, p, 'room', ack));
  socket.on('new message', (p, ack = () => {}) => send(socket, p, 'chat', ack));
  socket.on('join', (p, ack = () => {}) => {
    const room = p && p.room;
    if (typeof room !== 'string' || !ROOM.test(room)) return ack({ ok: false, error: 'invalid_room' });
    socket.join(room);
    ack({ ok: true, room, history: page(room, 0, 0, 50) });
  });
  socket.on('leave', (p, ack = () => {}) => {
    const room = p && p.room;
    if (typeof room !== 'string' || !ROOM.test(room)) return ack({ ok: false, error: 'invalid_room' });
    socket.leave(room);
    ack({ ok: true });
  });
  socket.on('history', (p, ack = () => {}) => {
    const room = p && p.room;
    if (typeof room !== 'string' || !ROOM.test(room)) return ack({ ok: false, error: 'invalid_room' });
    const limit = p.limit === undefined ? 50 : p.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) return ack({ ok: false, error: 'bad_request' });
    ack({ ok: true, messages: page(room, p.before || 0, p.after || 0, limit) });
  });
  socket.on('users', (p, ack = () => {}) => ack({ ok: true, users: [...usersById.values()].slice(0, 1000).map(userView) }));
  socket.on('getUser', (p, ack = () => {}) => {
    const id = p && typeof p === 'object' ? p.id : p;
    const u = usersById.get(String(id));
    ack(u ? { ok: true, user: userView(u) } : { ok: false, error: 'not_found' });
  });
  socket.on('auth', (p, ack = () => {}) => {
    const result = verify(p && p.token);
    if (result.reason || result.claims.sub !== userId) return ack({ ok: false, error: result.reason || 'invalid_token' });
    socket.data.claims = result.claims;
    ack({ ok: true, expiresAt: new Date(result.claims.exp * 1000).toISOString() });
  });
  socket.on('disconnect', () => {
    clearTimeout(timer);
    const left = online.get(userId) - 1;
    online.set(userId, left);
    if (left === 0) io.emit('presence', { user: { id: user.id, username: user.username }, online: false });
  });
});

server.listen(PORT, '127.0.0.1', () => console.log(`peer listening on ${PORT}`));
process.on('SIGTERM', () => process.exit(0));
