// The hostile-load test (not part of `npm test`; run by scripts/soak.sh):
// for SOAK_SECONDS, on loopback, a normal user browses, saves and comments
// while an attacker replays every attack of the security audit in a loop.
// Afterwards the server must be up, every normal request must have
// succeeded with p99 under SOAK_P99_MS, resident memory must have stayed
// under SOAK_RSS_MB, and every acknowledged save must be intact.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { apiToken, cookiesFrom, setUpAdmin, startServer } from './serve.mjs';

const SECONDS = Number(process.env.SOAK_SECONDS || 600);
const P99_MS = Number(process.env.SOAK_P99_MS || 100);
const RSS_MB = Number(process.env.SOAK_RSS_MB || 1536);
const sha = (s) => createHash('sha256').update(s).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function setUp(server) {
  const admin = await setUpAdmin(server, { name: 'Sam Soak', email: 'sam@example.com', password: 'a soak of ten minutes' });
  const session = { cookie: admin.cookie, 'x-csrf-token': admin.csrf, origin: server.base, 'content-type': 'application/json' };
  const writer = { authorization: `Bearer ${await apiToken(server, admin, 'write', 'write')}`, 'content-type': 'application/json' };
  const reader = { authorization: `Bearer ${await apiToken(server, admin, 'read', 'read')}`, 'content-type': 'application/json' };
  const ws = (await (await fetch(new URL('/api/workspaces', server.base), { headers: writer })).json())[0].id;
  const newMap = async (title) => (await (await fetch(new URL(`/api/workspaces/${ws}/maps`, server.base), { method: 'POST', headers: writer, body: JSON.stringify({ template: 'ecommerce', title }) })).json()).id;
  const normal = await newMap('The team map');
  const target = await newMap('The attacker map');
  const log = readFileSync(new URL('../../shared/data/logs/bpic2016_complaints.csv', import.meta.url));
  await upload(server, writer, normal, 'complaints.csv', log, { case: 'CustomerID', time: 'ContactDate', activity: 'ComplaintTopic_EN' });
  return { session, writer, reader, ws, normal, target };
}

async function upload(server, headers, map, name, bytes, fields = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([bytes]), name);
  const h = { ...headers };
  delete h['content-type'];
  return fetch(new URL(`/api/maps/${map}/evidence`, server.base), { method: 'POST', headers: h, body: form });
}

const rule = (n, op) => Array.from({ length: n }, (_, i) => `t = "${i % 7}"`).join(` ${op} `);
const steps = (n, name) => Array.from({ length: n }, (_, i) => `    ${name ? name : `Step ${i}`}: 3\n`).join('');

/// Every attack of the audit, each a function that sends it and returns.
function attacks(server, a) {
  const url = (p) => new URL(p, server.base);
  const post = (p, headers, body) => fetch(url(p), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const personas = Array.from({ length: 3000 }, (_, i) => `  persona P${i}\n`).join('');
  const bigSteps = Array.from({ length: 3000 }, (_, i) => `    S${i}: 3: Q${i}\n`).join('');
  const bomb = gzipSync(Buffer.concat([Buffer.from('customer_id,timestamp,touchpoint\n'), Buffer.alloc(640 << 20, 48)]), { level: 9 });
  const keys = Array.from({ length: 19000 }, (_, i) => JSON.stringify({ customer_id: `c${i % 50}`, timestamp: '2026-01-01T00:00:00Z', touchpoint: 'a', [`k${i}`]: 'v' })).join('\n');
  const wide = 'customer_id,timestamp,touchpoint,' + Array.from({ length: 10000 }, (_, i) => `c${i}`).join(',') + '\n' + 'c1,2026-01-01T00:00:00Z,a\n'.repeat(20000);
  let share = null;
  return [
    ['a 150,000-term rule', () => post('/api/check', a.reader, { source: `journey\n  section S\n    X: 3\n      evidence: ${rule(150000, 'and')}\n` })],
    ['an or-chain preview', () => post('/api/preview', a.reader, { source: `journey\n  section S\n    X: 3\n      evidence: ${rule(100000, 'or')}\n` })],
    ['nested parentheses', () => post('/api/check', a.reader, { source: `journey\n  section S\n    X: 3\n      evidence: ${'('.repeat(100000)}t = 1${')'.repeat(100000)}\n` })],
    ['3,000 personas x 3,000 steps', () => post('/api/preview', a.reader, { source: `journey\n${personas}  section S\n${bigSteps}` })],
    ['190,000 same-name steps', () => post('/api/check', a.reader, { source: `journey\n  section S\n${steps(190000, 'Pay')}` })],
    ['a title on every line', () => post('/api/check', a.reader, { source: 'journey\n' + '  title T\n'.repeat(190000) })],
    ['a gzip bomb upload', () => upload(server, a.writer, a.target, 'bomb.csv.gz', bomb)],
    ['a 30 MB form field', () => upload(server, a.writer, a.target, 'x.csv', 'a,b\n', { case: 'x'.repeat(30 << 20) })],
    ['a new key on every JSON line', () => upload(server, a.writer, a.target, 'keys.jsonl', keys)],
    ['a 10,000-column header', () => upload(server, a.writer, a.target, 'wide.csv', wide)],
    ['a huge PNG by share link', async () => {
      if (!share) {
        await fetch(url(`/api/maps/${a.target}/source`), { method: 'PUT', headers: a.writer, body: JSON.stringify({ source: `journey\n  title Wide\n  section S\n${steps(1000)}` }) });
        share = (await (await post(`/api/maps/${a.target}/shares`, a.writer, {})).json()).url;
      }
      return fetch(new URL(share.replace(/^https?:\/\/[^/]+/, '') + '/download/png', server.base));
    }],
    ['a diff of two 20,000-line versions', async () => {
      const res = await fetch(url(`/api/maps/${a.target}/versions`), { headers: a.reader });
      const versions = await res.json();
      if (versions.length < 3) {
        for (const n of [0, 1]) await fetch(url(`/api/maps/${a.target}/source`), { method: 'PUT', headers: a.writer, body: JSON.stringify({ source: `journey\n  section S\n${steps(20000, n ? null : 'Same')}` }) });
      }
      const head = versions.length ? versions[0].number : 3;
      return fetch(url(`/api/maps/${a.target}/diff?from=${Math.max(1, head - 1)}&to=${head}`), { headers: a.reader });
    }],
    ['40 parallel wrong passwords', async () => {
      const page = await fetch(url('/login'));
      const jar = {};
      const cookie = cookiesFrom(page, jar);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())[1];
      const tries = Array.from({ length: 40 }, (_, i) => fetch(url('/login'), {
        method: 'POST', redirect: 'manual', headers: { cookie, origin: server.base, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, email: 'sam@example.com', password: `guess ${i}`, next: '/\t/evil.example/x' }),
      }));
      const all = await Promise.all(tries);
      return all[all.length - 1];
    }],
    ['a token minting tokens', () => post('/api/tokens', a.writer, { name: 'minted', scope: 'write' })],
    ['a read token writing', () => fetch(url(`/api/maps/${a.normal}/source`), { method: 'PUT', headers: a.reader, body: JSON.stringify({ source: 'journey\n  section S\n    Owned: 1\n' }) })],
  ];
}

/// Slow clients: connections that send half a request, replaced as the
/// server cuts them off.
function slowClients(server, n, stop) {
  const { hostname, port } = new URL(server.base);
  let cut = 0;
  const open = () => {
    if (stop.done) return;
    const s = net.connect(Number(port), hostname, () => s.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '));
    s.on('close', () => { cut++; setTimeout(open, 100); });
    s.on('error', () => {});
  };
  for (let i = 0; i < n; i++) open();
  return () => cut;
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function main() {
  const server = await startServer({ args: ['--no-demo'] });
  const stop = { done: false };
  let failures = [];
  try {
    const a = await setUp(server);
    const url = (p) => new URL(p, server.base);
    const latencies = [];
    const acknowledged = new Map();
    let maxRss = rssMb(server.proc.pid);
    const sampler = setInterval(() => { maxRss = Math.max(maxRss, rssMb(server.proc.pid)); }, 500);
    const slowCut = slowClients(server, 20, stop);
    // The attacker runs in a process of its own, with its own connections
    // (a refused upload closes its connection; a shared pool would hand
    // that connection to the normal user).
    const attacker = spawn(process.execPath, [new URL(import.meta.url).pathname], {
      env: { ...process.env, SOAK_ATTACKER: JSON.stringify({ base: server.base, a }) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let attackLog = '';
    attacker.stdout.on('data', (c) => { attackLog += c; });
    const attackerDone = new Promise((r) => attacker.on('exit', r));
    const user = (async () => {
      let n = 0;
      const timed = async (what, req, ok = (s) => s === 200) => {
        const t = performance.now();
        try {
          const res = await req();
          const body = await res.text();
          latencies.push(performance.now() - t);
          if (!ok(res.status)) failures.push(`${what}: ${res.status} ${body.slice(0, 200)}`);
          return body;
        } catch (e) {
          failures.push(`${what}: ${e.cause?.code || e.message}`);
          return '';
        }
      };
      while (!stop.done) {
        n++;
        await timed('map page', () => fetch(url(`/m/${a.normal}`), { headers: { cookie: a.session.cookie } }));
        await timed('map svg', () => fetch(url(`/m/${a.normal}/map.svg`), { headers: { cookie: a.session.cookie } }));
        await timed('map json', () => fetch(url(`/api/maps/${a.normal}`), { headers: a.reader }));
        const source = `journey\n  title The team map\n  section Find\n    Search ${n}: ${1 + (n % 5)}\n      doing: looks for a laptop\n  section Buy\n    Pay: 4\n`;
        const saved = await timed('save', () => fetch(url(`/api/maps/${a.normal}/source`), { method: 'PUT', headers: a.session, body: JSON.stringify({ source, message: `soak ${n}` }) }));
        try { const v = JSON.parse(saved); if (v.number) acknowledged.set(v.number, sha(source)); } catch {}
        await timed('comment', () => fetch(url(`/api/maps/${a.normal}/comments`), { method: 'POST', headers: a.session, body: JSON.stringify({ body: `note ${n}` }) }), (s) => s === 201);
        await timed('preview', () => fetch(url('/api/preview'), { method: 'POST', headers: a.session, body: JSON.stringify({ source }) }));
        await timed('evidence', () => fetch(url(`/api/maps/${a.normal}/evidence`), { headers: a.reader }));
        await sleep(100);
      }
    })();
    const started = Date.now();
    while (Date.now() - started < SECONDS * 1000) {
      await sleep(1000);
      if (server.proc.exitCode !== null) { failures.push(`the server exited with ${server.proc.exitCode}`); break; }
    }
    stop.done = true;
    attacker.kill('SIGTERM');
    await Promise.all([user, attackerDone]);
    const counts = new Map(Object.entries(JSON.parse(attackLog.trim().split('\n').pop() || '{}')));
    clearInterval(sampler);
    // The server is up and every acknowledged save is there.
    const alive = await fetch(url('/login'));
    if (alive.status !== 200) failures.push(`the server answers /login with ${alive.status}`);
    const versions = await (await fetch(url(`/api/maps/${a.normal}/versions`), { headers: a.reader })).json();
    const stored = new Map(versions.map((v) => [v.number, v.sha256]));
    let lost = 0;
    for (const [number, digest] of acknowledged) if (stored.get(number) !== digest) lost++;
    if (lost) failures.push(`${lost} acknowledged saves are missing or different`);
    latencies.sort((x, y) => x - y);
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
    const p99 = pct(0.99);
    if (p99 > P99_MS) failures.push(`normal requests p99 ${p99.toFixed(1)} ms, over ${P99_MS} ms`);
    if (maxRss > RSS_MB) failures.push(`resident memory reached ${maxRss.toFixed(0)} MB, over ${RSS_MB} MB`);
    console.log(`soak: ${SECONDS} s; normal requests ${latencies.length}, p50 ${pct(0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`);
    console.log(`soak: ${acknowledged.size} acknowledged saves, ${lost} lost; peak resident memory ${maxRss.toFixed(0)} MB; slow connections cut ${slowCut()}`);
    for (const [name, n] of [...counts].sort()) console.log(`soak: attack ${name}: ${n} times`);
  } catch (e) {
    failures.push(`the soak stopped: ${e.stack || e}`);
  } finally {
    stop.done = true;
    if (server.proc.exitCode === null) await server.stop();
  }
  for (const f of failures.slice(0, 20)) console.log(`soak: FAILED ${f}`);
  console.log(failures.length ? `soak: ${failures.length} failures` : 'soak: passed');
  process.exit(failures.length ? 1 : 0);
}

/// The attacker's process: every attack in a loop until SIGTERM, then the
/// counts as one JSON line.
async function attack() {
  const { base, a } = JSON.parse(process.env.SOAK_ATTACKER);
  const server = { base };
  const stop = { done: false };
  process.on('SIGTERM', () => { stop.done = true; });
  const counts = {};
  const list = attacks(server, a);
  while (!stop.done) {
    for (const [name, run] of list) {
      if (stop.done) break;
      try { const res = await run(); await res.arrayBuffer(); counts[name] = (counts[name] || 0) + 1; }
      catch { counts[`${name} (cut off)`] = (counts[`${name} (cut off)`] || 0) + 1; }
    }
  }
  console.log(JSON.stringify(counts));
  process.exit(0);
}

if (process.env.SOAK_ATTACKER) attack(); else main();
