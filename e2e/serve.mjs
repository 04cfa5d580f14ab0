// Starts `cjm serve` on a free port with a fresh data directory and reads
// the address and the one-time setup link from what it prints.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cjmBin } from './browser.mjs';

export async function startServer(opts = {}) {
  const data = opts.data || mkdtempSync(join(tmpdir(), 'cjm-serve-'));
  const args = ['serve', '--data', data, '--addr', opts.addr || '127.0.0.1:0', ...(opts.args || [])];
  const proc = spawn(cjmBin(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cjm serve did not start:\n${log}`)), 20000);
    proc.stderr.on('data', (chunk) => {
      log += chunk;
      const addr = /listening on (http:\/\/[^\s]+)/.exec(log);
      // A link counts once its line is complete: stderr may arrive in
      // chunks that end inside it.
      const done = /no account yet[^\n]*\n\s*\n\s*(http\S+)\n/.exec(log) || /cjm serve: open (http\S+)\n/.exec(log);
      if (addr && done) {
        clearTimeout(timer);
        const setup = /\/setup\//.test(done[1]) ? done[1] : null;
        resolve({ base: addr[1], setup });
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`cjm serve exited with ${code}:\n${log}`)); });
  });
  const { base, setup } = await ready;
  return { proc, base, setup, data, log: () => log, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) };
}

/// The cookie header for every cookie set so far (kept in `jar`).
export function cookiesFrom(res, jar) {
  for (const c of res.headers.getSetCookie()) { const [kv] = c.split(';'); const [k, v] = kv.split('='); jar[k] = v; }
  return Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');
}

/// Creates the admin account through the one-time setup link; answers the
/// session's cookie header and its CSRF token.
export async function setUpAdmin(server, { name, email, password }) {
  const jar = {};
  const form = await fetch(server.setup);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())[1];
  let cookie = cookiesFrom(form, jar);
  const body = new URLSearchParams({ _csrf: csrf, name, email, password });
  const made = await fetch(server.setup, { method: 'POST', body, headers: { cookie, origin: server.base }, redirect: 'manual' });
  if (made.status !== 303) throw new Error(`setup answered ${made.status}`);
  cookie = cookiesFrom(made, jar);
  const page = await (await fetch(new URL('/account', server.base), { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)[1] };
}

/// An API token of `scope` made with a session from [`setUpAdmin`].
export async function apiToken(server, session, name, scope) {
  const res = await fetch(new URL('/api/tokens', server.base), {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: server.base, 'content-type': 'application/json' },
    body: JSON.stringify({ name, scope }),
  });
  if (res.status !== 201) throw new Error(`making a token answered ${res.status}`);
  return (await res.json()).token;
}

/// Signs up the first admin in a browser page through the one-time setup
/// link (`setupUrl`, which may point at a proxy); answers the demo
/// workspace's id, where the page lands.
export async function signUpAdmin(page, setupUrl, { name, email, password }) {
  await page.goto(setupUrl);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/w\/\d+$/);
  return /\/w\/(\d+)$/.exec(page.url())[1];
}
