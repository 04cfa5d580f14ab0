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
