// A save the server acknowledged survives `kill -9` at any moment: saves run
// in a loop from several clients while the server is killed and restarted
// again and again; afterwards every acknowledged version is there, intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { apiToken, setUpAdmin, startServer } from './serve.mjs';

const KILLS = Number(process.env.CJM_DURABILITY_KILLS || 20);

async function adminToken(server) {
  const session = await setUpAdmin(server, { name: 'Dora Durable', email: 'dora@example.com', password: 'kill nine survives' });
  return apiToken(server, session, 'durability', 'write');
}

test(`every acknowledged save survives ${KILLS} kill -9 restarts`, { timeout: 300000 }, async () => {
  let server = await startServer({ args: ['--no-demo'] });
  try {
    await killAndSave(server, (s) => { server = s; });
  } finally {
    // Stopped by its PID whether the test passed or not.
    if (server.proc.exitCode === null) await server.stop();
  }
});

async function killAndSave(server, restarted) {
  const data = server.data;
  const token = await adminToken(server);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const ws = (await (await fetch(new URL('/api/workspaces', server.base), { headers: auth })).json())[0].id;
  const created = await fetch(new URL(`/api/workspaces/${ws}/maps`, server.base), { method: 'POST', headers: auth, body: JSON.stringify({ title: 'Durable' }) });
  const mapId = (await created.json()).id;
  const acknowledged = new Map(); // version number -> sha256 of the text sent
  let counter = 0;
  let stopping = false;

  async function saver(client) {
    while (!stopping) {
      const n = ++counter;
      const source = `journey\n  title Durable\n  section Writes\n    Save ${n} from client ${client}: 3\n      doing: ${'x'.repeat(n % 200)}\n`;
      try {
        const res = await fetch(new URL(`/api/maps/${mapId}/source`, server.base), { method: 'PUT', headers: auth, body: JSON.stringify({ source, message: `save ${n}` }) });
        if (res.status === 200) {
          const v = await res.json();
          acknowledged.set(v.number, createHash('sha256').update(source).digest('hex'));
          assert.equal(v.sha256, createHash('sha256').update(source).digest('hex'));
        }
      } catch { await new Promise((r) => setTimeout(r, 20)); }
    }
  }
  for (let kill = 0; kill < KILLS; kill++) {
    stopping = false;
    const clients = [1, 2, 3].map(saver);
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
    server.proc.kill('SIGKILL');
    await new Promise((r) => server.proc.once('exit', r));
    stopping = true;
    await Promise.all(clients);
    server = await startServer({ data, args: ['--no-demo'] });
    restarted(server);
  }
  const versions = await (await fetch(new URL(`/api/maps/${mapId}/versions`, server.base), { headers: auth })).json();
  const stored = new Map(versions.map((v) => [v.number, v.sha256]));
  assert.ok(acknowledged.size > KILLS * 3, `only ${acknowledged.size} saves were acknowledged`);
  for (const [number, sha] of acknowledged) {
    assert.equal(stored.get(number), sha, `acknowledged version ${number} is missing or different`);
  }
  // And the text itself reads back whole.
  const last = Math.max(...acknowledged.keys());
  const v = await (await fetch(new URL(`/api/maps/${mapId}/versions/${last}`, server.base), { headers: auth })).json();
  assert.equal(createHash('sha256').update(v.source).digest('hex'), acknowledged.get(last));
  console.log(`# ${acknowledged.size} acknowledged saves, ${KILLS} kills, ${versions.length} versions stored`);
}
