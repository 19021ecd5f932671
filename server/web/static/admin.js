// Administration in the browser client (docs/protocol.md "## Administration"):
// the people with what an administrator can do to each, invitations, and
// the log. Shown only to administrators: the server says who is one. Every
// text from the network goes on the page with textContent.
import { codes, states } from './words.js';

const $ = (id) => document.getElementById(id);
const wordsOf = (code) => codes[code] || states.generic;

let tokenOf = async () => '';

// api makes one administrative call; it throws an Error in the app's words.
async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + (await tokenOf()) };
  if (body) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: body ? JSON.stringify(body) : undefined, cache: 'no-store', credentials: 'omit',
    });
  } catch {
    throw new Error(states.unreachable);
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    // worded below
  }
  if (res.ok) return data;
  const err = new Error(wordsOf(data && data.error));
  err.code = data && data.error;
  throw err;
}

const userPath = (name, what) => '/admin/users/' + encodeURIComponent(name) + '/' + what;

function status(text) {
  $('admin-status').textContent = text;
}

function when(iso) {
  const t = new Date(iso);
  return isNaN(t) ? '' : t.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

// act runs an action, says how it went, and loads the lists again.
async function act(run) {
  status('Working…');
  try {
    status(await run());
  } catch (e) {
    status(e.message);
  }
  load();
}

function button(label, run, danger) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.className = danger ? 'danger' : 'secondary';
  b.addEventListener('click', run);
  return b;
}

function personRow(u) {
  const tr = document.createElement('tr');
  const cells = [u.username, u.removed ? 'removed' : u.admin ? 'administrator' : 'member',
    u.online ? 'online' : u.lastSeen ? when(u.lastSeen) : 'never signed in'];
  for (const text of cells) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  const actions = document.createElement('td');
  actions.className = 'actions';
  if (!u.removed) {
    const name = u.username;
    actions.append(
      button(u.admin ? 'Remove administrator' : 'Make administrator', () => act(async () => {
        await api('POST', userPath(name, 'admin'), { admin: !u.admin });
        return u.admin ? name + ' is no longer an administrator.' : name + ' is now an administrator.';
      })),
      button('Reset password', () => {
        if (!window.confirm('Reset ' + name + '\'s password? They are signed out everywhere.')) return;
        act(async () => {
          const r = await api('POST', userPath(name, 'reset-password'));
          return 'Give ' + name + ' this temporary password (shown only now): ' + r.password;
        });
      }),
      button('Rename', () => {
        const to = (window.prompt('New name for ' + name) || '').trim();
        if (to) act(async () => {
          await api('POST', userPath(name, 'rename'), { username: to });
          return name + ' is now ' + to + '; they sign in again with the new name.';
        });
      }),
      button('Take out of a room', () => {
        const room = (window.prompt('Take ' + name + ' out of which room?') || '').trim().replace(/^#/, '');
        if (room) act(async () => {
          await api('POST', userPath(name, 'kick'), { room });
          return name + ' was taken out of #' + room + '.';
        });
      }),
      button('Remove', () => {
        if (!window.confirm('Remove ' + name + '? They are disconnected at once; their messages stay.')) return;
        act(async () => {
          await api('POST', userPath(name, 'remove'));
          return name + ' was removed.';
        });
      }, true),
    );
  }
  tr.append(actions);
  return tr;
}

const actionWords = {
  add: 'added', remove: 'removed', reset_password: 'reset the password of', promote: 'made an administrator:',
  demote: 'took administration from', rename: 'renamed', kick: 'took out of a room:', invite: 'created an invitation',
  invite_used: 'joined with an invitation',
};

function logLine(e) {
  const li = document.createElement('li');
  let line = when(e.at) + '  ' + e.actor + ' ' + (actionWords[e.action] || e.action);
  if (e.target && e.action !== 'invite_used') line += ' ' + e.target;
  if (e.detail) line += ' (' + e.detail + ')';
  li.textContent = line;
  return li;
}

async function load() {
  try {
    const [users, log] = await Promise.all([api('GET', '/admin/users'), api('GET', '/admin/audit')]);
    $('admin-people').replaceChildren(...users.users.map(personRow));
    $('admin-log').replaceChildren(...log.entries.map(logLine));
  } catch (e) {
    status(e.message);
  }
}

async function invite() {
  act(async () => {
    const r = await api('POST', '/admin/invites', {
      uses: Number($('admin-uses').value), ttlSeconds: Number($('admin-days').value) * 86400,
    });
    const link = location.origin + '/?invite=' + encodeURIComponent(r.code);
    $('admin-invite').textContent = 'Invite code ' + r.code + ', good for ' + r.uses + ' account(s) until ' +
      when(r.expiresAt) + '. Link: ' + link;
    return 'Invitation created.';
  });
}

// adminSignedIn shows the Administration button when the user is one.
export async function adminSignedIn(freshToken) {
  tokenOf = freshToken;
  $('admin-open').hidden = true;
  delete document.body.dataset.admin; // set once the server answered (tests wait for it)
  try {
    await api('GET', '/admin/audit?limit=1');
    $('admin-open').hidden = false;
    document.body.dataset.admin = 'yes';
  } catch {
    document.body.dataset.admin = 'no'; // not an administrator (or not now): no button
  }
}

// adminSignedOut closes the dialog and forgets the way to the token.
export function adminSignedOut() {
  tokenOf = async () => '';
  $('admin-open').hidden = true;
  if ($('admin').open) $('admin').close();
}

// inviteCode is the code the sign-in form sends with Create account.
export function inviteCode() {
  return $('invite').value.trim();
}

// showInvite reveals the invite code field (with a hint) after sign-up was refused.
export function showInvite() {
  $('invite-box').hidden = false;
  $('invite').focus();
}

export function wireAdmin() {
  $('admin-open').addEventListener('click', () => {
    status('');
    $('admin').showModal();
    load();
  });
  $('admin-close').addEventListener('click', () => $('admin').close());
  $('admin-invite-form').addEventListener('submit', (e) => {
    e.preventDefault();
    invite();
  });
  // An invitation link: /?invite=CODE fills the code in.
  const code = new URLSearchParams(location.search).get('invite');
  if (code) {
    $('invite').value = code;
    $('invite-box').hidden = false;
  }
}
