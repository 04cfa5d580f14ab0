// Live edits the server has passed on survive `kill -9`: two people type in
// one map while the server is killed twenty times at random moments. After
// each restart, before anybody reconnects, the server's document holds every
// token either person saw arrive from the other (the server stores a burst
// before it passes it on), each exactly once; then both reconnect, go on
// typing, and at the end both pages and the server hold the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { launch } from './browser.mjs';
import { signUpAdmin, startServer } from './serve.mjs';

const KILLS = Number(process.env.CJM_DURABILITY_KILLS || 20);

function freePort() {
  return new Promise((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
}

// In a page: the server's live text, read through a raw socket (sync step 1
// with an empty state vector; the answer applied to a fresh Y.Doc).
async function serverText(page, mapId) {
  return page.evaluate(async (mapId) => {
    const Y = window.cjmEditor.Y;
    const ws = new WebSocket(`ws://${location.host}/api/maps/${mapId}/live`);
    ws.binaryType = 'arraybuffer';
    const readUint = (b, at) => { let v = 0, mul = 1; for (;;) { const x = b[at.i++]; v += (x & 0x7f) * mul; if (x < 0x80) return v; mul *= 128; } };
    const update = await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('no answer')), 10000);
      ws.onopen = () => ws.send(new Uint8Array([0, 0, 1, 0]));
      ws.onmessage = (e) => {
        const b = new Uint8Array(e.data), at = { i: 0 };
        if (readUint(b, at) !== 0 || readUint(b, at) !== 1) return;
        const len = readUint(b, at);
        clearTimeout(t);
        res(b.slice(at.i, at.i + len));
      };
    });
    ws.close();
    const doc = new Y.Doc();
    Y.applyUpdate(doc, update);
    return doc.getText('source').toString();
  }, mapId);
}

test(`live edits passed on survive ${KILLS} kill -9 restarts`, { timeout: 600000 }, async () => {
  const addr = `127.0.0.1:${await freePort()}`;
  let server = await startServer({ addr });
  const browser = await launch();
  try {
    const context = await browser.newContext();
    const setup = await context.newPage();
    const ws = await signUpAdmin(setup, server.setup, { name: 'Dora Durable', email: 'dora@example.com', password: 'kill nine survives' });
    const maps = await (await context.request.get(`${server.base}/api/workspaces/${ws}/maps`)).json();
    const mapId = maps[0].id;
    // Two editors of the same account in two pages: each has its own Yjs
    // client, and sees the other's typing only through the server.
    const pages = [];
    for (const who of ['A', 'B']) {
      const page = await context.newPage();
      await page.goto(`${server.base}/m/${mapId}/edit`);
      await page.locator('#status', { hasText: 'All changes stored' }).waitFor();
      await page.evaluate((who) => {
        const ed = window.cjmEditorInstance;
        const text = ed.doc.getText('source');
        window.__n = 0;
        window.__typing = setInterval(() => {
          if (!ed.provider.wsconnected) return;
          const at = text.toString().indexOf('journey');
          text.insert(Math.max(at, 0), `%% ${who}${++window.__n}\n`);
        }, 15);
      }, who);
      pages.push([who, page]);
    }
    const echoed = async () => {
      const all = new Set();
      for (const [who, page] of pages) {
        const other = who === 'A' ? 'B' : 'A';
        const text = await page.evaluate(() => window.cjmEditorInstance.getText());
        for (const m of text.matchAll(new RegExp(`%% ${other}\\d+\\n`, 'g'))) all.add(m[0]);
      }
      return all;
    };
    // The checker: a page with Yjs loaded whose own live client is cut at
    // once, so that it can never fill a gap in the server's document.
    await setup.goto(`${server.base}/m/${mapId}/edit`);
    await setup.locator('.cm-content').waitFor();
    await setup.evaluate(() => window.cjmEditorInstance.provider.disconnect());
    let checked = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 700));
      server.proc.kill('SIGKILL');
      await new Promise((r) => server.proc.once('exit', r));
      for (const [, page] of pages) await page.evaluate(() => window.cjmEditorInstance.provider.disconnect());
      const seen = await echoed();
      server = await startServer({ addr, data: server.data });
      const text = await serverText(setup, mapId);
      for (const token of seen) {
        assert.equal(text.split(token).length - 1, 1, `kill ${kill + 1}: ${JSON.stringify(token)} was seen arrive, and the server has it ${text.split(token).length - 1} times`);
      }
      checked += seen.size;
      for (const [, page] of pages) await page.evaluate(() => window.cjmEditorInstance.provider.connect());
    }
    for (const [, page] of pages) await page.evaluate(() => clearInterval(window.__typing));
    // Everybody converges: both pages and the server, every token once.
    await Promise.all(pages.map(([, page]) => page.waitForFunction(() => window.cjmEditorInstance.provider.synced && window.cjmEditorInstance.provider.wsconnected)));
    await new Promise((r) => setTimeout(r, 1500));
    const [a, b] = await Promise.all(pages.map(([, page]) => page.evaluate(() => window.cjmEditorInstance.getText())));
    const onServer = await serverText(setup, mapId);
    assert.equal(a, b);
    assert.equal(onServer, a);
    const tokens = onServer.match(/%% [AB]\d+\n/g) || [];
    assert.equal(new Set(tokens).size, tokens.length, 'a token is in the text twice');
    console.log(`# ${KILLS} kills; ${checked} tokens seen arrive before a kill were all on the server after it; ${tokens.length} tokens in the end`);
  } finally {
    await browser.close();
    if (server.proc.exitCode === null) await server.stop();
  }
});
