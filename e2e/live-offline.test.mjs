// Editing on through a cut connection: two pages reach the server through a
// loopback proxy that the test cuts (Playwright's offline mode does not
// cover WebSockets). Both keep typing while cut, each page says it is
// offline, and once the proxy is back both hold the same text with both
// sets of edits, as does the server. Screenshots: live-offline-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { launch, shots } from './browser.mjs';
import { signUpAdmin, startServer } from './serve.mjs';

/// A TCP proxy to `port` that can be cut (every connection dropped, new
/// ones refused) and restored.
async function proxyTo(port) {
  const open = new Set();
  let cut = false;
  const server = createServer((client) => {
    if (cut) { client.destroy(); return; }
    const up = connect(port, '127.0.0.1');
    for (const s of [client, up]) { open.add(s); s.on('close', () => open.delete(s)); s.on('error', () => {}); }
    client.pipe(up); up.pipe(client);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    cut() { cut = true; for (const s of open) s.destroy(); },
    restore() { cut = false; },
    close: () => new Promise((r) => { for (const s of open) s.destroy(); server.close(r); }),
  };
}

test('two people edit on through a cut connection and converge when it is back', { timeout: 120000 }, async () => {
  const server = await startServer();
  const proxy = await proxyTo(Number(new URL(server.base).port));
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const setup = await context.newPage();
    const ws = await signUpAdmin(setup, server.setup.replace(server.base, proxy.origin), { name: 'Otto Offline', email: 'otto@example.com', password: 'the line went dead' });
    const maps = await (await context.request.get(`${proxy.origin}/api/workspaces/${ws}/maps`)).json();
    const mapId = maps[0].id;
    const pages = [];
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      await page.goto(`${proxy.origin}/m/${mapId}/edit`);
      await page.locator('#status', { hasText: 'All changes stored' }).waitFor();
      pages.push(page);
    }
    proxy.cut();
    for (const page of pages) await page.locator('#status', { hasText: 'Offline' }).waitFor();
    await pages[0].evaluate(() => { const t = window.cjmEditorInstance.doc.getText('source'); t.insert(0, '%% typed by the first page while offline\n'); });
    await pages[1].evaluate(() => { const t = window.cjmEditorInstance.doc.getText('source'); t.insert(t.length, '\n%% typed by the second page while offline\n'); });
    await pages[0].screenshot({ path: join(shots, 'live-offline-01-cut.png') });
    await pages[0].setViewportSize({ width: 1024, height: 768 });
    await pages[0].screenshot({ path: join(shots, 'live-offline-01-cut-1024.png') });
    await pages[0].setViewportSize({ width: 1440, height: 900 });
    proxy.restore();
    for (const page of pages) {
      await page.waitForFunction(() => {
        const t = window.cjmEditorInstance.getText();
        return t.includes('first page while offline') && t.includes('second page while offline');
      }, null, { timeout: 30000 });
      await page.locator('#status', { hasText: 'All changes stored' }).waitFor({ timeout: 30000 });
    }
    const [a, b] = await Promise.all(pages.map((p) => p.evaluate(() => window.cjmEditorInstance.getText())));
    assert.equal(a, b);
    await pages[1].screenshot({ path: join(shots, 'live-offline-02-back.png') });
    // The server has both: a save makes them a version.
    const csrf = await pages[1].locator('meta[name=csrf-token]').getAttribute('content');
    const saved = await context.request.post(`${proxy.origin}/api/maps/${mapId}/live/save`, {
      headers: { 'x-csrf-token': csrf, origin: proxy.origin }, data: { message: 'after the outage' },
    });
    assert.equal(saved.status(), 201, await saved.text());
    const detail = await (await context.request.get(`${proxy.origin}/api/maps/${mapId}`)).json();
    assert.equal(detail.source, a);
  } finally {
    await browser.close();
    await proxy.close();
    await server.stop();
  }
});

test('an edit made offline survives a closed tab; a copy of another document is thrown away', { timeout: 120000 }, async () => {
  const server = await startServer();
  const proxy = await proxyTo(Number(new URL(server.base).port));
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const setup = await context.newPage();
    const ws = await signUpAdmin(setup, server.setup.replace(server.base, proxy.origin), { name: 'Tess Tab', email: 'tess@example.com', password: 'closed the tab too soon' });
    const maps = await (await context.request.get(`${proxy.origin}/api/workspaces/${ws}/maps`)).json();
    const mapId = maps[0].id;
    const editorUrl = `${proxy.origin}/m/${mapId}/edit`;
    let page = await context.newPage();
    await page.goto(editorUrl);
    await page.locator('#status', { hasText: 'All changes stored' }).waitFor();
    proxy.cut();
    await page.locator('#status', { hasText: 'Offline' }).waitFor();
    await page.evaluate(() => window.cjmEditorInstance.doc.getText('source').insert(0, '%% typed offline, then the tab was closed\n'));
    // y-indexeddb stores each update as it happens; give it a moment.
    await page.waitForTimeout(500);
    await page.close();
    proxy.restore();

    // The next visit sends what the closed tab kept.
    page = await context.newPage();
    await page.goto(editorUrl);
    await page.waitForFunction(() => window.cjmEditorInstance.getText().startsWith('%% typed offline'), null, { timeout: 30000 });
    await page.locator('#status', { hasText: 'All changes stored' }).waitFor({ timeout: 30000 });
    // Who changed what is credited once the server has analysed the burst.
    let live;
    for (let i = 0; i < 50; i++) {
      live = await (await context.request.get(`${proxy.origin}/api/maps/${mapId}/live`)).json();
      if (live.people.length) break;
      await page.waitForTimeout(200);
    }
    assert.equal(live.unsaved, true, JSON.stringify(live));
    assert.equal(live.people[0].name, 'Tess Tab', JSON.stringify(live));
    await page.screenshot({ path: join(shots, 'live-offline-03-after-closed-tab.png') });
    await page.close();

    // A copy of another document under this map's id (another generation):
    // the editor throws it away and reloads instead of merging it.
    page = await context.newPage();
    await page.goto(editorUrl);
    await page.locator('#status', { hasText: 'All changes stored' }).waitFor({ timeout: 30000 });
    await page.evaluate(async (name) => {
      const db = await new Promise((resolve, reject) => { const r = indexedDB.open(name); r.onsuccess = () => resolve(r.result); r.onerror = reject; });
      const other = new window.cjmEditor.Y.Doc();
      other.getText('source').insert(0, '%% STALE COPY of another document\n');
      await new Promise((resolve, reject) => {
        const tx = db.transaction(['updates', 'custom'], 'readwrite');
        tx.objectStore('updates').add(window.cjmEditor.Y.encodeStateAsUpdate(other));
        tx.objectStore('custom').put(1, 'generation');
        tx.oncomplete = resolve; tx.onerror = reject;
      });
      db.close();
    }, `cjm-map-${mapId}`);
    const reloaded = page.waitForEvent('load', { timeout: 30000 });
    await page.goto(editorUrl);
    // The stale copy is found at the hello: the page reloads by itself.
    await reloaded;
    await page.waitForEvent('load', { timeout: 30000 });
    await page.waitForFunction(() => window.cjmEditorInstance && window.cjmEditorInstance.view, null, { timeout: 30000 });
    await page.locator('#status', { hasText: 'All changes stored' }).waitFor({ timeout: 30000 });
    const text = await page.evaluate(() => window.cjmEditorInstance.getText());
    assert.ok(!text.includes('STALE COPY'), text.slice(0, 200));
    assert.ok(text.startsWith('%% typed offline'), text.slice(0, 200));
    const saved = await context.request.post(`${proxy.origin}/api/maps/${mapId}/live/save`, {
      headers: { 'x-csrf-token': await page.locator('meta[name=csrf-token]').getAttribute('content'), origin: proxy.origin }, data: { message: '' },
    });
    assert.equal(saved.status(), 201, await saved.text());
    const detail = await (await context.request.get(`${proxy.origin}/api/maps/${mapId}`)).json();
    assert.ok(!detail.source.includes('STALE COPY'));
  } finally {
    await browser.close();
    await proxy.close();
    await server.stop();
  }
});
