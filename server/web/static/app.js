// Confab's browser client. Plain JavaScript, no build step: the official
// socket.io-client (loaded from /socket.io/socket.io.js as the global io)
// and this module. Every text from the network is put on the page with
// textContent or as a text node, never as HTML.
import { codes, signedOut, states } from './words.js';
import { adminSignedIn, adminSignedOut, inviteCode, showInvite, wireAdmin } from './admin.js';

const $ = (id) => document.getElementById(id);

// The wire contract (docs/protocol.md).
const DEFAULT_ROOM = 'general';
const JOIN_HISTORY = 50; // messages a join brings
const PAGE = 50; // messages per scroll-back page
const CATCH_UP_PAGE = 200; // the largest history page
const CATCH_UP_PAGES = 20;
const TYPING_INTERVAL = 3000; // a typing notice per room at most this often
const TYPING_EXPIRY = 6000; // shown this long unless told again (or expiresIn)
const JOINED_CONVERSATIONS = 50; // private conversations joined at connect, newest first
const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🎉'];

// How this client behaves, as the Go client does (client/chat.go).
const REFRESH_SHARE = 0.8; // refresh when this share of a token's life has passed
const REFRESH_RETRY = 5000; // after a failed refresh (network), try again this soon
const CALL_TIMEOUT = 10000;
const BUSY_RETRY = 5000; // too_many_sockets: try again this soon
const STORE = 'confab.session'; // sessionStorage key; see docs/protocol.md

// Status lines, as the desktop app's chat window says them (app/chat.go).
const CONNECTING = 'Connecting…';
const RECONNECTING = 'Connection lost. Reconnecting…';
const NO_BUNDLE = 'This server cannot run the browser client: its Socket.IO bundle is missing. Ask the host to build Confab with make.';

const wordsOf = (code) => codes[code] || states.generic;
const signedOutWords = (reason) => signedOut[reason] || signedOut[''];

// State. The token lives in this tab's sessionStorage (see save) and here.
let session = null; // {token, expiresAt, user: {id, username}}
let socket = null;
let ready = false; // connected and caught up: the outbox may send
let refreshTimer = 0;
let refreshing = null; // the refresh under way, a promise
let current = DEFAULT_ROOM;
const rooms = new Map(); // name -> room (see newRoom)
const people = new Map(); // id -> {id, username, online}
const convs = new Map(); // private room (~N) -> Conversation, as the server last said it
const typedAt = new Map(); // room -> when this client last told it we type
const outbox = []; // {room, text, clientId, state: 'waiting'|'sending'|'failed', error, el}
let sending = false;

// ---- Keeping the session in this tab

// save keeps the session in sessionStorage: it survives a reload (phones
// reload background tabs) but not the tab, is never shared with other tabs,
// and is never sent by the browser on its own (no cookie, no CSRF).
function save() {
  try {
    if (!session) {
      sessionStorage.removeItem(STORE);
      return;
    }
    sessionStorage.setItem(STORE, JSON.stringify({ session, rooms: [...rooms.keys()], current }));
  } catch {
    // storage refused (private mode): the session lives in memory only
  }
}

function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    if (saved && saved.session && Date.parse(saved.session.expiresAt) > Date.now()) return saved;
    sessionStorage.removeItem(STORE);
  } catch {
    // nothing usable kept
  }
  return null;
}

// ---- HTTP account calls

class Refusal extends Error {
  constructor(status, code, words) {
    super(words);
    this.status = status;
    this.code = code;
  }
}

async function post(path, body, token) {
  const headers = {};
  if (body) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  let res;
  try {
    res = await fetch(path, {
      method: 'POST', headers, body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store', credentials: 'omit',
    });
  } catch {
    throw new Refusal(0, '', states.unreachable);
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON: worded by status below
  }
  if (res.ok && data) return data;
  const code = (data && data.error) || '';
  const words = res.status === 401 && !codes[code] ? signedOutWords(code) : wordsOf(code);
  throw new Refusal(res.status, code, words);
}

// ---- Signing in and out

async function signIn(create) {
  const username = $('username').value.trim();
  const password = $('password').value;
  setText('signin-error', '');
  if (!username || !password) {
    setText('signin-error', !username ? codes.invalid_username : codes.weak_password);
    (!username ? $('username') : $('password')).focus();
    return;
  }
  for (const b of [$('signin-button'), $('create-button')]) b.disabled = true;
  try {
    const body = { username, password };
    if (create && inviteCode()) body.invite = inviteCode();
    const s = await post(create ? '/register' : '/login', body);
    $('password').value = '';
    if (!session || session.user.id !== s.user.id) {
      rooms.clear();
      current = DEFAULT_ROOM;
    }
    start(s);
  } catch (e) {
    setText('signin-error', e.message || states.generic);
    if (create && e.code === 'signup_disabled') {
      showInvite(); // admin.js: an invitation is the way in
      return;
    }
    $(e.code === 'invalid_username' || e.code === 'username_taken' || e.code === 'username_too_similar' ? 'username' : 'password').focus();
  } finally {
    for (const b of [$('signin-button'), $('create-button')]) b.disabled = false;
  }
}

function start(s) {
  session = { ...s, issuedAt: s.issuedAt || Date.now() };
  roomOf(DEFAULT_ROOM);
  if (!rooms.has(current)) current = DEFAULT_ROOM;
  $('me').textContent = s.user.username;
  $('signin').hidden = true;
  $('chat').hidden = false;
  renderRooms();
  showRoom(current);
  scheduleRefresh();
  save();
  connect();
  adminSignedIn(freshToken); // admin.js
  $('text').focus();
}

// end leaves the chat for the sign-in screen, saying why (words) if given.
function end(words) {
  const s = session;
  session = null;
  adminSignedOut(); // admin.js
  clearTimeout(refreshTimer);
  ready = false;
  if (socket) {
    socket.removeAllListeners();
    socket.disconnect();
    socket = null;
  }
  outbox.length = 0;
  sending = false;
  save();
  for (const r of rooms.values()) r.view.remove();
  rooms.clear();
  people.clear();
  convs.clear();
  current = DEFAULT_ROOM;
  $('chat').hidden = true;
  $('signin').hidden = false;
  setText('signin-error', words || '');
  if (s) $('username').value = s.user.username;
  $(s ? 'password' : 'username').focus();
  document.title = 'Confab';
}

async function signOut() {
  const token = session && session.token;
  end('');
  if (token) post('/logout', null, token).catch(() => {}); // the sign-in ends on the server too
}

// ---- Token refresh, as the Go client does it

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const issued = session.issuedAt || Date.now();
  const left = Date.parse(session.expiresAt) - issued;
  const at = issued + left * REFRESH_SHARE;
  refreshTimer = setTimeout(() => refresh().catch(() => {}), Math.max(at - Date.now(), 0));
}

// refresh renews the token over HTTP and hands it to the live socket, so it
// is not dropped at the old token's expiry.
function refresh() {
  if (refreshing) return refreshing;
  const s = session;
  refreshing = (async () => {
    try {
      const n = await post('/refresh', null, s.token);
      if (session !== s) return;
      session = { ...n, issuedAt: Date.now() };
      save();
      if (socket && socket.connected) {
        await call('auth', { token: session.token }).catch(() => {}); // a drop: the next connect sends it
      }
      scheduleRefresh();
    } catch (e) {
      if (session !== s) return;
      if (e.status === 401) {
        end(e.message);
        return;
      }
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => refresh().catch(() => {}), REFRESH_RETRY);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// freshToken is the token to connect with: refreshed first when its time has come.
async function freshToken() {
  if (!session) return '';
  const issued = session.issuedAt || 0;
  const exp = Date.parse(session.expiresAt);
  const due = issued ? issued + (exp - issued) * REFRESH_SHARE : exp - 60000;
  if (Date.now() >= due && Date.now() < exp) await refresh().catch(() => {});
  return session ? session.token : '';
}

// ---- The socket

function connect() {
  if (typeof io !== 'function') {
    setStatus(NO_BUNDLE);
    return;
  }
  setStatus(CONNECTING);
  socket = io({
    auth: (cb) => {
      freshToken().then((token) => cb({ token }));
    },
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);
  socket.on('connect_error', onConnectError);
  socket.on('message', (m) => receive(m, true));
  socket.on('new message', (m) => receive(m, true));
  socket.on('presence', onPresence);
  socket.on('conversation', onConversation);
  socket.on('update', (m) => applyUpdate(m));
  socket.on('typing', onTyping);
  socket.on('unauthorized', (p) => end(signedOutWords(p && p.reason)));
  socket.on('kicked', (k) => {
    if (!k || !rooms.has(k.room) || k.room === DEFAULT_ROOM) return;
    dropRoom(k.room);
    announce('An administrator took you out of #' + k.room + '.');
  });
}

function call(event, payload) {
  return socket.timeout(CALL_TIMEOUT).emitWithAck(event, payload);
}

async function onConnect() {
  const mine = socket;
  setStatus('');
  $('reconnect').hidden = true;
  // Rooms are joined again (a new socket is only in general) and what was
  // missed is fetched, before anything queued is sent. A room whose call
  // fails is tried again at the next connect, as the Go client does.
  try {
    await loadConversations();
  } catch {
    // listed again at the next connect; conversation events still arrive
  }
  if (socket !== mine || !mine.connected) return;
  for (const name of [...rooms.keys()]) {
    try {
      await catchUp(name);
    } catch {
      // no answer in time, or dropped
    }
    if (socket !== mine || !mine.connected) return;
  }
  try {
    await loadPeople();
  } catch {
    // the list comes with the next connect; presence events still arrive
  }
  if (socket !== mine || !mine.connected) return;
  ready = true;
  pump();
}

function onDisconnect(reason) {
  ready = false;
  sending = false;
  for (const m of outbox) if (m.state === 'sending') m.state = 'waiting';
  renderPeople();
  if (reason === 'io server disconnect') {
    // Only a server that ends the session disconnects a socket itself
    // (it says why first, with unauthorized, unless that was lost).
    end(signedOutWords(''));
    return;
  }
  if (reason === 'io client disconnect') return;
  setStatus(RECONNECTING);
  $('reconnect').hidden = false;
}

function onConnectError(err) {
  if (!session) return;
  const reason = err && err.data && err.data.reason;
  if (err && err.message === 'unauthorized') {
    end(signedOutWords(reason));
    return;
  }
  if (err && err.message === 'too_many_sockets') {
    setStatus(wordsOf('too_many_sockets'));
    $('reconnect').hidden = false;
    setTimeout(() => socket && !socket.connected && socket.connect(), BUSY_RETRY * (1 + Math.random() / 2));
    return;
  }
  setStatus(RECONNECTING);
  $('reconnect').hidden = false;
}

function reconnectNow() {
  if (!socket) return;
  setStatus(CONNECTING);
  socket.disconnect();
  socket.connect();
}

// ---- Rooms and their timelines

function roomOf(name) {
  let r = rooms.get(name);
  if (r) return r;
  r = {
    name, messages: new Map(), minID: 0, maxID: 0, hasOlder: false, loadingOlder: false, unread: 0, stick: true,
    private: isPrivate(name), seq: -1, typers: new Map(),
  };
  r.view = roomView(r);
  rooms.set(name, r);
  return r;
}

// roomView builds a room's own scroller: a button for earlier messages,
// the messages, and what is still being sent. A room keeps its scroller
// (and so its scroll position) while another room is shown.
function roomView(r) {
  const view = document.createElement('section');
  view.className = 'timeline';
  view.hidden = true;
  view.tabIndex = 0;
  view.setAttribute('aria-label', 'Messages in ' + titleOf(r.name));
  const older = document.createElement('button');
  older.type = 'button';
  older.className = 'older secondary';
  older.textContent = 'Show earlier messages';
  older.hidden = true;
  older.addEventListener('click', () => loadOlder(r));
  const list = document.createElement('ol');
  list.className = 'messages';
  const empty = document.createElement('p');
  empty.className = 'empty';
  empty.textContent = 'No messages yet.';
  const pending = document.createElement('ol');
  pending.className = 'pending';
  pending.setAttribute('aria-label', 'Being sent');
  view.append(older, empty, list, pending);
  view.addEventListener('scroll', () => {
    r.stick = view.scrollHeight - view.scrollTop - view.clientHeight < 40;
    if (view.scrollTop < 80 && r.hasOlder) loadOlder(r);
  });
  r.older = older;
  r.list = list;
  r.empty = empty;
  r.pending = pending;
  $('timelines').append(view);
  return view;
}

async function catchUp(name) {
  const r = roomOf(name);
  const res = await call('join', { room: name });
  if (!res.ok) {
    if (res.error === 'invalid_room' || (r.private && res.error === 'not_found')) dropRoom(name);
    return;
  }
  const since = r.seq;
  if (typeof res.seq === 'number') r.seq = res.seq;
  const before = r.maxID;
  const firstLoad = r.messages.size === 0;
  insert(r, res.history || [], false);
  if (firstLoad) r.hasOlder = (res.history || []).length >= JOIN_HISTORY || !!res.more;
  let after = before;
  for (let page = 0; after > 0 && page < CATCH_UP_PAGES; page++) {
    const h = await call('history', { room: name, after, limit: CATCH_UP_PAGE });
    if (!h.ok || !h.messages || h.messages.length === 0) break;
    insert(r, h.messages, false);
    after = h.messages[h.messages.length - 1].id;
    if (!h.more && h.messages.length < CATCH_UP_PAGE) break;
  }
  // Edits, deletes and reactions made while away.
  for (let from = since, page = 0; from >= 0 && from < r.seq && page < CATCH_UP_PAGES; page++) {
    const c = await call('changes', { room: name, since: from });
    if (!c.ok) break;
    for (const m of c.messages || []) applyUpdate(m);
    if (!c.more || typeof c.seq !== 'number') break;
    from = c.seq;
  }
  updateOlder(r);
  markRead(r);
}

async function loadOlder(r) {
  if (r.loadingOlder || !r.hasOlder || !ready) return;
  r.loadingOlder = true;
  r.older.disabled = true;
  try {
    const res = await call('history', { room: r.name, before: r.minID, limit: PAGE });
    if (!res.ok) {
      setText('send-error', wordsOf(res.error));
      return;
    }
    const msgs = res.messages || [];
    const view = r.view;
    const height = view.scrollHeight;
    const top = view.scrollTop;
    insert(r, msgs, false);
    view.scrollTop = top + (view.scrollHeight - height); // the reader's place stays put
    r.hasOlder = msgs.length >= PAGE || !!res.more;
  } catch {
    // dropped: the button stays for another try
  } finally {
    r.loadingOlder = false;
    r.older.disabled = false;
    updateOlder(r);
  }
}

function updateOlder(r) {
  r.older.hidden = !r.hasOlder;
  r.empty.hidden = r.messages.size > 0 || r.hasOlder;
}

// insert adds messages to a room's timeline in id order, once each; live
// ones from others count as unread in a room not shown and are announced.
function insert(r, msgs, live) {
  const wasAtBottom = r.stick;
  let added = 0;
  for (const m of msgs) {
    if (!m || typeof m.id !== 'number' || r.messages.has(m.id)) continue;
    r.messages.set(m.id, m);
    const el = messageItem(m);
    if (m.id > r.maxID) {
      r.list.append(el);
    } else {
      let next = r.list.firstElementChild;
      while (next && Number(next.dataset.id) < m.id) next = next.nextElementSibling;
      r.list.insertBefore(el, next);
    }
    r.minID = r.minID ? Math.min(r.minID, m.id) : m.id;
    r.maxID = Math.max(r.maxID, m.id);
    added++;
    const mine = session && m.author && m.author.id === session.user.id;
    if (m.author) stopTyping(r, m.author.id);
    if (live && !mine) {
      if (!r.private && (r.name !== current || document.hidden)) r.unread++;
      if (r.name === current) announce(m.author.username + ': ' + m.text);
    }
  }
  if (!added) return;
  if (r.private) r.unread = privateUnread(r);
  updateOlder(r);
  if (wasAtBottom && r.name === current) scrollToEnd(r);
  if (live) markRead(r);
  renderRooms();
}

function receive(m, live) {
  if (!m || !m.room || !rooms.has(m.room)) return;
  insert(rooms.get(m.room), [m], live);
}

function messageItem(m) {
  const li = document.createElement('li');
  li.className = 'msg';
  li.dataset.id = String(m.id);
  if (session && m.author && m.author.id === session.user.id) li.classList.add('mine');
  const meta = document.createElement('p');
  meta.className = 'meta';
  const who = document.createElement('span');
  who.className = 'author';
  who.textContent = ((m.author && m.author.username) || '?') + (m.author && m.author.removed ? ' (removed)' : '');
  const when = document.createElement('time');
  const sent = new Date(m.sentAt);
  if (!isNaN(sent)) {
    when.dateTime = sent.toISOString();
    when.title = sent.toLocaleString();
    when.textContent = sent.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  meta.append(who, when);
  if (m.editedAt && !m.deleted) {
    const edited = document.createElement('span');
    edited.className = 'edited';
    edited.textContent = 'edited';
    meta.append(edited);
  }
  const text = document.createElement('p');
  text.className = 'text';
  if (m.deleted) {
    li.classList.add('deleted');
    text.textContent = 'Message deleted';
  } else {
    appendText(text, String(m.text));
  }
  li.append(meta, text);
  if (m.deleted) return li;
  li.tabIndex = -1; // a tap shows its tools on a touch screen
  if (m.reactions && m.reactions.length) li.append(reactionsOf(m));
  li.append(toolsOf(m));
  return li;
}

// appendText puts text in el as text nodes, with http(s) addresses as links.
function appendText(el, text) {
  const url = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;
  let at = 0;
  for (const match of text.matchAll(url)) {
    el.append(document.createTextNode(text.slice(at, match.index)));
    const a = document.createElement('a');
    a.href = match[0];
    a.textContent = match[0];
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    if (a.protocol === 'http:' || a.protocol === 'https:') el.append(a);
    else el.append(document.createTextNode(match[0]));
    at = match.index + match[0].length;
  }
  el.append(document.createTextNode(text.slice(at)));
}

function scrollToEnd(r) {
  r.view.scrollTop = r.view.scrollHeight;
  r.stick = true;
}

function showRoom(name) {
  const r = roomOf(name);
  current = name;
  r.unread = 0;
  for (const other of rooms.values()) other.view.hidden = other !== r;
  $('room-title').textContent = r.private ? titleOf(name) : '#' + name;
  if (r.private) {
    const sub = document.createElement('span');
    sub.className = 'sub';
    const c = convs.get(name);
    sub.textContent = c && c.kind === 'group' ? `private group of ${c.members.length}` : 'direct message';
    $('room-title').append(sub);
  }
  $('text').setAttribute('aria-label', 'Message to ' + titleOf(name));
  updateOlder(r);
  if (r.stick) scrollToEnd(r);
  markRead(r);
  renderRooms();
  renderPeople();
  renderTyping();
  save();
}

function renderRooms() {
  const focused = document.activeElement && document.activeElement.closest('#rooms, #dms') ? document.activeElement : null;
  const refocus = focused && focused.closest('li').querySelector('.room').dataset.room;
  const leaveFocused = focused && focused.classList.contains('leave');
  $('rooms').replaceChildren();
  $('dms').replaceChildren();
  let unread = 0;
  for (const r of rooms.values()) {
    const ul = $(r.private ? 'dms' : 'rooms');
    unread += r.unread;
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'room';
    b.dataset.room = r.name;
    if (r.name === current) b.setAttribute('aria-current', 'true');
    const label = document.createElement('span');
    label.className = 'name';
    label.textContent = r.private ? titleOf(r.name) : '#' + r.name;
    b.append(label);
    if (r.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = String(r.unread);
      const vh = document.createElement('span');
      vh.className = 'vh';
      vh.textContent = ' unread';
      badge.append(vh);
      b.append(badge);
    }
    b.addEventListener('click', () => showRoom(r.name));
    li.append(b);
    if (r.name !== DEFAULT_ROOM && (!r.private || (convs.get(r.name) || {}).kind === 'group')) {
      const leave = document.createElement('button');
      leave.type = 'button';
      leave.className = 'leave';
      leave.textContent = '×';
      leave.setAttribute('aria-label', 'Leave ' + titleOf(r.name));
      leave.addEventListener('click', () => leaveRoom(r.name));
      li.append(leave);
    }
    ul.append(li);
  }
  $('dms-empty').hidden = $('dms').childElementCount > 0;
  if (refocus) { // the keyboard's place in the lists stays put
    const b = document.querySelector(`.rooms button.room[data-room="${CSS.escape(refocus)}"]`);
    const target = b && (leaveFocused ? b.parentElement.querySelector('.leave') : b);
    if (target) target.focus();
  }
  document.title = unread > 0 ? `(${unread}) Confab` : 'Confab';
}

async function joinRoom(raw) {
  const name = raw.trim().replace(/^#/, '').toLowerCase();
  setText('join-error', '');
  if (!name) return;
  if (rooms.has(name)) {
    showRoom(name);
    $('join-room').value = '';
    return;
  }
  if (!socket || !socket.connected) {
    setText('join-error', states.offline);
    return;
  }
  try {
    const res = await call('join', { room: name });
    if (!res.ok) {
      setText('join-error', wordsOf(res.error));
      return;
    }
    const r = roomOf(name);
    insert(r, res.history || [], false);
    r.hasOlder = (res.history || []).length >= JOIN_HISTORY || !!res.more;
    $('join-room').value = '';
    showRoom(name);
    $('text').focus();
  } catch {
    setText('join-error', states.offline);
  }
}

function dropRoom(name) {
  const r = rooms.get(name);
  if (!r) return;
  r.view.remove();
  rooms.delete(name);
  if (current === name) showRoom(DEFAULT_ROOM);
  renderRooms();
  save();
}

function leaveRoom(name) {
  if (isPrivate(name)) {
    leaveGroup(name);
    return;
  }
  if (socket && socket.connected) call('leave', { room: name }).catch(() => {});
  for (let i = outbox.length - 1; i >= 0; i--) if (outbox[i].room === name) outbox.splice(i, 1);
  dropRoom(name);
}

// switchBy goes through the rooms, then the private conversations, as listed.
function switchBy(step) {
  const all = [...rooms.values()];
  const names = [...all.filter((r) => !r.private), ...all.filter((r) => r.private)].map((r) => r.name);
  const i = names.indexOf(current);
  showRoom(names[(i + step + names.length) % names.length]);
}

// ---- Sending: an outbox, one message in flight, resent with the same
// clientId after a drop so the server stores it once.

function newClientId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b); // randomUUID needs a secure context; LAN pages may be http
  return 'web-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function send() {
  const box = $('text');
  const text = box.value;
  setText('send-error', '');
  if (!text.trim()) return;
  const m = { room: current, text, clientId: newClientId(), state: 'waiting', error: '' };
  outbox.push(m);
  m.el = pendingItem(m);
  roomOf(current).pending.append(m.el);
  scrollToEnd(roomOf(current));
  box.value = '';
  typedAt.delete(current); // a message ends the pause: the next keystroke tells at once
  fitComposer();
  pump();
}

function pendingItem(m) {
  const li = document.createElement('li');
  li.className = 'msg mine';
  const meta = document.createElement('p');
  meta.className = 'meta';
  const who = document.createElement('span');
  who.className = 'author';
  who.textContent = session.user.username;
  const state = document.createElement('span');
  state.className = 'state';
  meta.append(who, state);
  const text = document.createElement('p');
  text.className = 'text';
  appendText(text, m.text);
  li.append(meta, text);
  m.stateEl = state;
  paintPending(m);
  return li;
}

function paintPending(m) {
  m.el && m.el.classList.toggle('failed', m.state === 'failed');
  m.stateEl.textContent = m.state === 'failed' ? m.error : 'Sending…';
  const old = m.el && m.el.querySelector('.actions');
  if (old) old.remove();
  if (m.state !== 'failed') return;
  const actions = document.createElement('p');
  actions.className = 'actions';
  const retry = document.createElement('button');
  retry.type = 'button';
  retry.className = 'secondary';
  retry.textContent = 'Try again';
  retry.addEventListener('click', () => {
    m.state = 'waiting';
    paintPending(m);
    pump();
  });
  const discard = document.createElement('button');
  discard.type = 'button';
  discard.className = 'secondary';
  discard.textContent = 'Discard';
  discard.addEventListener('click', () => {
    outbox.splice(outbox.indexOf(m), 1);
    m.el.remove();
  });
  actions.append(retry, discard);
  m.el.append(actions);
}

async function pump() {
  if (!ready || sending) return;
  const m = outbox.find((x) => x.state === 'waiting');
  if (!m) return;
  sending = true;
  m.state = 'sending';
  const mine = socket;
  let again = 0;
  try {
    const ack = await call('message', { room: m.room, text: m.text, clientId: m.clientId });
    if (ack && ack.ok) {
      outbox.splice(outbox.indexOf(m), 1);
      m.el.remove();
      receive(ack.message, false);
      scrollToEnd(roomOf(m.room));
    } else if (ack && (ack.error === 'rate_limited' || ack.error === 'unavailable')) {
      // Not stored: too fast, or a cluster node without its database for now.
      m.state = 'waiting';
      again = 1000;
    } else {
      m.state = 'failed';
      m.error = wordsOf(ack && ack.error);
      paintPending(m);
    }
  } catch {
    m.state = 'waiting'; // no answer: sent again (same clientId) after the reconnect
    if (socket === mine && mine.connected) again = 1000;
  } finally {
    sending = false;
  }
  if (again) setTimeout(pump, again);
  else pump();
}

// ---- Direct messages and private groups: rooms named ~N, listed apart

function isPrivate(name) {
  return /^~[1-9][0-9]*$/.test(name);
}

// titleOf is how a room is named on screen: a DM by the other person, a
// group by its name.
function titleOf(name) {
  if (!isPrivate(name)) return name;
  const c = convs.get(name);
  if (!c) return 'Private conversation';
  if (c.kind === 'group') return c.name || 'Group';
  const other = (c.members || []).find((u) => !session || u.id !== session.user.id);
  return other ? other.username : 'Direct message';
}

async function loadConversations() {
  const res = await call('conversations', {});
  if (!res.ok) return;
  (res.conversations || []).forEach((c, i) => {
    convs.set(c.room, c);
    if (i < JOINED_CONVERSATIONS || c.unread > 0 || rooms.has(c.room)) roomOf(c.room).unread = c.unread;
  });
  for (const r of rooms.values()) if (r.private && !convs.has(r.name)) dropRoom(r.name);
  renderRooms();
}

// privateUnread counts the others' messages after the read marker: the
// server's count, or more when more have arrived since it said so.
function privateUnread(r) {
  const c = convs.get(r.name);
  if (!c) return r.unread;
  if (r.name === current && !document.hidden) return 0;
  let n = 0;
  for (const m of r.messages.values()) {
    if (m.id > c.readId && !m.deleted && session && m.author && m.author.id !== session.user.id) n++;
  }
  return Math.max(n, c.unread);
}

function onConversation(c) {
  if (!c || !isPrivate(c.room)) return;
  if (c.left) {
    convs.delete(c.room);
    dropRoom(c.room);
    return;
  }
  convs.set(c.room, c);
  const fresh = !rooms.has(c.room);
  const r = roomOf(c.room);
  r.unread = privateUnread(r);
  renderRooms();
  if (current === c.room) showRoom(c.room); // a renamed group or a new member
  if (fresh && socket && socket.connected) catchUp(c.room).catch(() => {});
}

// markRead moves the read marker on to the newest message of the private
// conversation on screen.
async function markRead(r) {
  if (!r.private || r.name !== current || document.hidden || r.reading) return;
  if (!socket || !socket.connected || !r.maxID) return;
  const c = convs.get(r.name);
  if (c && c.readId >= r.maxID) return;
  r.reading = true;
  const id = r.maxID;
  let more = false;
  try {
    const res = await call('read', { room: r.name, id });
    if (res.ok && res.conversation) {
      convs.set(r.name, res.conversation);
      r.unread = privateUnread(r);
      renderRooms();
      more = r.maxID > id; // arrived while the marker moved
    }
  } catch {
    // read again when next shown
  } finally {
    r.reading = false;
  }
  if (more) markRead(r);
}

async function openDM(u) {
  setText('send-error', '');
  if (!socket || !socket.connected) {
    setText('send-error', states.offline);
    return;
  }
  try {
    const res = await call('dm', { user: u.id });
    if (!res.ok) {
      setText('send-error', wordsOf(res.error));
      return;
    }
    convs.set(res.conversation.room, res.conversation);
    await catchUp(res.conversation.room);
    showRoom(res.conversation.room);
    $('text').focus();
  } catch {
    setText('send-error', states.offline);
  }
}

// leaveGroup ends one's membership of a group: it is gone from the list
// only once the server said so.
async function leaveGroup(name) {
  setText('send-error', '');
  try {
    const res = await call('leaveGroup', { room: name });
    if (!res.ok && res.error !== 'not_found') {
      setText('send-error', wordsOf(res.error));
      return;
    }
  } catch {
    setText('send-error', states.offline);
    return;
  }
  for (let i = outbox.length - 1; i >= 0; i--) if (outbox[i].room === name) outbox.splice(i, 1);
  convs.delete(name);
  dropRoom(name);
}

async function invite(room, u) {
  setText('send-error', '');
  try {
    const res = await call('invite', { room, user: u.id });
    if (!res.ok) {
      setText('send-error', wordsOf(res.error));
      return;
    }
    convs.set(room, res.conversation);
    if (current === room) showRoom(room);
  } catch {
    setText('send-error', states.offline);
  }
}

async function createGroup() {
  const name = $('group-name').value.trim();
  const members = $('group-members').value.split(/[\s,]+/).filter(Boolean);
  setText('group-error', '');
  if (!name) {
    setText('group-error', 'A group needs a name.');
    $('group-name').focus();
    return;
  }
  if (!socket || !socket.connected) {
    setText('group-error', states.offline);
    return;
  }
  try {
    const res = await call('group', { name, members });
    if (!res.ok) {
      setText('group-error', wordsOf(res.error));
      return;
    }
    convs.set(res.conversation.room, res.conversation);
    await catchUp(res.conversation.room);
    $('group-name').value = '';
    $('group-members').value = '';
    $('group-box').open = false;
    showRoom(res.conversation.room);
    $('text').focus();
  } catch {
    setText('group-error', states.offline);
  }
}

// ---- Edits, deletes, reactions and typing

// applyUpdate replaces a shown message by a newer state of it.
function applyUpdate(m) {
  const r = m && rooms.get(m.room);
  const old = r && r.messages.get(m.id);
  if (!old || (m.rev || 0) <= (old.rev || 0)) return;
  r.messages.set(m.id, m);
  const el = r.list.querySelector(`li[data-id="${Number(m.id)}"]`);
  if (el) el.replaceWith(messageItem(m));
  if (r.private) {
    r.unread = privateUnread(r);
    renderRooms();
  }
}

async function change(event, payload) {
  setText('send-error', '');
  try {
    const res = await call(event, payload);
    if (res.ok) applyUpdate(res.message);
    else setText('send-error', wordsOf(res.error));
  } catch {
    setText('send-error', states.offline);
  }
}

function reactionsOf(m) {
  const box = document.createElement('p');
  box.className = 'reactions';
  const me = session && session.user.id;
  for (const x of m.reactions || []) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'reaction secondary';
    b.textContent = `${x.emoji} ${x.count}`;
    b.setAttribute('aria-pressed', String((x.users || []).includes(me)));
    b.setAttribute('aria-label', `${x.emoji} ${x.count}: react with ${x.emoji}`);
    b.addEventListener('click', () => change('react', { id: m.id, emoji: x.emoji }));
    box.append(b);
  }
  return box;
}

// toolsOf is a message's buttons, shown over it on hover or focus: React,
// and Edit and Delete for one's own; Delete asks once more on the spot.
function toolsOf(m) {
  const p = document.createElement('p');
  p.className = 'tools';
  const add = document.createElement('button');
  add.type = 'button';
  add.className = 'secondary';
  add.setAttribute('aria-expanded', 'false');
  add.addEventListener('click', () => {
    const open = add.getAttribute('aria-expanded') === 'true';
    add.setAttribute('aria-expanded', String(!open));
    p.querySelector('.picker')?.remove();
    if (open) return;
    const picker = document.createElement('span');
    picker.className = 'picker';
    for (const e of REACTIONS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'reaction secondary';
      b.textContent = e;
      b.setAttribute('aria-label', 'React with ' + e);
      b.addEventListener('click', () => change('react', { id: m.id, emoji: e, on: true }));
      picker.append(b);
    }
    p.append(picker);
    picker.querySelector('button').focus();
  });
  add.textContent = 'React';
  p.prepend(add);
  if (!session || !m.author || m.author.id !== session.user.id) return p;
  const edit = document.createElement('button');
  edit.type = 'button';
  edit.className = 'secondary';
  edit.textContent = 'Edit';
  edit.addEventListener('click', () => editInPlace(m, p.closest('li')));
  const del = document.createElement('button');
  del.type = 'button';
  del.className = 'secondary';
  del.textContent = 'Delete';
  del.addEventListener('click', () => {
    if (del.dataset.sure) {
      change('delete', { id: m.id });
      return;
    }
    del.dataset.sure = '1';
    del.textContent = 'Delete for everyone?';
  });
  del.addEventListener('blur', () => {
    delete del.dataset.sure;
    del.textContent = 'Delete';
  });
  p.append(edit, del);
  return p;
}

function editInPlace(m, li) {
  const text = li.querySelector('.text');
  const form = document.createElement('form');
  form.className = 'edit';
  const box = document.createElement('textarea');
  box.value = m.text;
  box.setAttribute('aria-label', 'Edit your message');
  const save = document.createElement('button');
  save.type = 'submit';
  save.textContent = 'Save';
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.className = 'secondary';
  cancel.textContent = 'Cancel';
  const back = () => {
    form.replaceWith(text);
    li.querySelector('.tools').hidden = false;
  };
  cancel.addEventListener('click', back);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (box.value.trim() === m.text.trim()) back();
    else change('edit', { id: m.id, text: box.value });
  });
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    } else if (e.key === 'Escape') {
      e.stopPropagation();
      back();
    }
  });
  form.append(box, save, cancel);
  text.replaceWith(form);
  li.querySelector('.tools').hidden = true;
  box.focus();
}

function onTyping(t) {
  if (!t || !t.user || !session || t.user.id === session.user.id) return;
  const r = rooms.get(t.room);
  if (!r) return;
  stopTyping(r, t.user.id);
  const timer = setTimeout(() => stopTyping(r, t.user.id), t.expiresIn || TYPING_EXPIRY);
  r.typers.set(t.user.id, { username: t.user.username, timer });
  if (r.name === current) renderTyping();
}

function stopTyping(r, id) {
  const ty = r.typers.get(id);
  if (!ty) return;
  clearTimeout(ty.timer);
  r.typers.delete(id);
  if (r.name === current) renderTyping();
}

function renderTyping() {
  const r = rooms.get(current);
  const names = r ? [...r.typers.values()].map((x) => x.username) : [];
  let text = '';
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = 'Several people are typing…';
  setText('typing', text);
}

// tellTyping tells the room on screen that we type, at most every 3 s.
function tellTyping() {
  if (!ready || !$('text').value) return;
  const now = Date.now();
  if (now - (typedAt.get(current) || 0) < TYPING_INTERVAL) return;
  typedAt.set(current, now);
  call('typing', { room: current }).catch(() => {});
}

// ---- Presence

async function loadPeople() {
  const res = await call('users', {});
  if (!res.ok) return;
  people.clear();
  for (const u of res.users || []) people.set(u.id, u);
  renderPeople();
}

function onPresence(p) {
  if (!p || !p.user) return;
  const u = people.get(p.user.id) || { id: p.user.id, username: p.user.username };
  u.online = !!p.online;
  people.set(u.id, u);
  renderPeople();
}

// renderPeople lists who is online first; while this client is not
// connected, nobody's presence is known (shown as ?), its own included.
function renderPeople() {
  const known = !!(socket && socket.connected);
  const list = [...people.values()].sort((a, b) =>
    (b.online - a.online) || a.username.localeCompare(b.username));
  const ul = $('people');
  ul.replaceChildren();
  let online = 0;
  for (const u of list) {
    if (u.online) online++;
    const li = document.createElement('li');
    li.className = known ? (u.online ? 'online' : 'offline') : 'unknown';
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.setAttribute('aria-hidden', 'true');
    const name = document.createElement('span');
    name.className = 'who';
    name.textContent = u.username;
    const state = document.createElement('span');
    state.className = 'presence';
    state.textContent = !known ? '?' : (u.online ? 'online' : 'offline');
    li.append(dot, name, state);
    if (session && u.id !== session.user.id) {
      const dm = document.createElement('button');
      dm.type = 'button';
      dm.className = 'secondary dm';
      dm.dataset.user = u.username;
      dm.textContent = 'Message';
      dm.setAttribute('aria-label', 'Message ' + u.username + ' directly');
      dm.addEventListener('click', () => openDM(u));
      li.append(dm);
    }
    const group = convs.get(current);
    if (group && group.kind === 'group' && !(group.members || []).some((x) => x.id === u.id)) {
      const add = document.createElement('button');
      add.type = 'button';
      add.className = 'secondary dm invite';
      add.dataset.user = u.username;
      add.textContent = 'Add';
      add.setAttribute('aria-label', `Add ${u.username} to ${titleOf(current)}`);
      add.addEventListener('click', () => invite(current, u));
      li.append(add);
    }
    ul.append(li);
  }
  $('people-title').textContent = known ? `People (${online} online)` : 'People';
}

// ---- Small helpers

function setText(id, text) {
  $(id).textContent = text;
}

function setStatus(text) {
  setText('status', text);
}

function announce(text) {
  const p = document.createElement('p');
  p.textContent = text;
  const box = $('announce');
  box.append(p);
  while (box.childElementCount > 5) box.firstElementChild.remove();
}

// fitComposer grows the message box with its text, up to 160 px.
function fitComposer() {
  const box = $('text');
  box.style.height = '';
  if (box.scrollHeight > box.clientHeight) box.style.height = Math.min(box.scrollHeight + 2, 160) + 'px';
}

// ---- Wiring

function wire() {
  wireAdmin(); // admin.js
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    signIn(false);
  });
  $('create-button').addEventListener('click', () => signIn(true));
  $('signout').addEventListener('click', signOut);
  $('reconnect').addEventListener('click', reconnectNow);
  $('group-form').addEventListener('submit', (e) => {
    e.preventDefault();
    createGroup();
  });
  $('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    joinRoom($('join-room').value);
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    send();
    $('text').focus();
  });
  $('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  $('text').addEventListener('input', () => {
    fitComposer();
    tellTyping();
  });
  document.addEventListener('keydown', (e) => {
    if ($('chat').hidden) return;
    if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      e.preventDefault();
      switchBy(e.key === 'ArrowUp' ? -1 : 1);
    } else if (e.key === 'Escape') {
      $('text').focus();
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden || !session) return;
    const r = rooms.get(current);
    if (r && r.unread) {
      r.unread = 0;
      renderRooms();
    }
    if (r) markRead(r);
    freshToken(); // a sleeping laptop's timers did not run
  });
  // People are listed open beside a desktop's conversation, folded below a phone's.
  const phone = window.matchMedia('(max-width: 640px)');
  $('people-box').open = !phone.matches;
  phone.addEventListener('change', () => {
    $('people-box').open = !phone.matches;
  });
  // A turned phone or a resized window keeps the newest message in view.
  window.addEventListener('resize', () => {
    const r = rooms.get(current);
    if (r && r.stick) scrollToEnd(r);
  });
}

wire();
const saved = restore();
if (saved) {
  for (const name of saved.rooms || []) roomOf(name);
  current = saved.current || DEFAULT_ROOM;
  start(saved.session);
} else {
  $('signin').hidden = false;
  if (typeof io !== 'function') setText('signin-error', NO_BUNDLE);
  $('username').focus();
}
