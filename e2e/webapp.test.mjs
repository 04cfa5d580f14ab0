// The web app as a team uses it, in real headless Chromium: first-run setup,
// sign in, a map from a template, live preview, an inline error fixed,
// comments, history and restore, a share link opened signed out, a PNG
// download, and hostile text everywhere. Every page is saved as a screenshot
// in e2e/screenshots/webapp-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, shots, repo } from './browser.mjs';
import { startServer } from './serve.mjs';

let server, browser, context, page;
const admin = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery' };
let mapUrl = '';
const consoleErrors = [];

// Each page at 1440 px, then at 1024 px (`-1024`), the widths a laptop
// and a small laptop or tablet show.
async function shot(name) {
  await page.screenshot({ path: join(shots, `webapp-${name}.png`), fullPage: false });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: join(shots, `webapp-${name}-1024.png`), fullPage: false });
  await page.setViewportSize({ width: 1440, height: 900 });
}

before(async () => {
  // The real logs of ../shared/data/logs as the server's log folder.
  server = await startServer({ args: ['--logs', join(repo, '..', 'shared', 'data', 'logs')] });
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  // Any alert() would mean injected script ran.
  page.on('dialog', async (d) => { if (d.type() === 'alert') { consoleErrors.push(`alert: ${d.message()}`); await d.dismiss(); } else await d.accept(); });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('first run: the setup link creates the admin, who owns the demo workspace', async () => {
  assert.ok(server.setup, `no setup link printed:\n${server.log()}`);
  await page.goto(server.setup);
  await shot('01-setup');
  await page.fill('input[name=name]', admin.name);
  await page.fill('input[name=email]', admin.email);
  await page.fill('input[name=password]', admin.password);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/w\/\d+$/);
  await page.locator('.map-card').first().waitFor();
  const titles = await page.locator('.map-card h2').allInnerTexts();
  assert.ok(titles.includes('Applying for an environmental permit'), titles.join(' | '));
  assert.ok(titles.length >= 6, `expected the five templates and the demo map, got ${titles.length}`);
  await shot('02-gallery');
  // The setup link works once.
  const again = await context.request.get(server.setup);
  assert.equal(again.status(), 404);
});

test('sign out, then sign in again (a wrong password is refused)', async () => {
  await page.click('text=Sign out');
  await page.waitForURL(/\/login$/);
  await page.fill('input[name=email]', admin.email);
  await page.fill('input[name=password]', 'not the password');
  await page.click('button[type=submit]');
  await page.locator('.error').waitFor();
  assert.match(await page.locator('.error').innerText(), /do not match/);
  await shot('03-login-error');
  await page.fill('input[name=password]', admin.password);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/w\/\d+$/);
});

test('the demo map shows measured figures from its real log', async () => {
  await page.click('text=Applying for an environmental permit');
  await page.waitForURL(/\/m\/\d+$/);
  const svg = await page.locator('.canvas svg').innerHTML();
  assert.match(svg, /1,?434|1434/, 'the metrics lane shows the customers reached');
  await shot('04-demo-map');
  await page.click('text=the draft the data suggests');
  await page.locator('table.figures').waitFor();
  const figures = await page.locator('table.figures').innerText();
  // Reach and the funnel in map order are two labelled figures; the funnel never rises.
  assert.match(figures, /Receipt is checked\s+1,316 · \d+\.\d%/);
  assert.match(await page.locator('table.figures thead').innerText(), /Reach\s+In funnel\s+Conversion\s+Drop-off/);
  assert.equal(await page.locator('table.figures th[title*="in map order"]').count(), 1, 'each figure says how it is computed');
  const funnel = await page.locator('table.figures tbody tr').evaluateAll((rows) => rows.map((r) => r.cells[2] && r.cells[2].innerText.replace(/,/g, '')).filter((t) => /^\d+$/.test(t || '')).map(Number));
  assert.ok(funnel.length >= 2 && funnel.every((n, i) => i === 0 || n <= funnel[i - 1]), 'funnel ' + funnel);
  await page.click('#load-draft');
  await page.locator('#draft:not([hidden])').waitFor();
  assert.match(await page.locator('#draft').innerText(), /evidence: touchpoint = "Confirmation of receipt"/);
  await shot('05-evidence');
  await page.click('#create-draft');
  await page.waitForURL(/\/m\/\d+$/);
  assert.match(await page.locator('h1').innerText(), /Journeys in receipt/);
  await page.goBack();
  await page.goBack();
  await page.goto(page.url().replace(/\/evidence.*$/, '').replace(/#.*$/, ''));
  await page.click('nav.tabs >> text=Current vs future');
  await page.locator('.compare-board svg').waitFor();
  await shot('06-current-vs-future');
});

test('a log with unusual column names: choose them beside its first rows, then re-attach the previous log', async () => {
  await page.goto(new URL('/', server.base).href);
  await page.click('text=Applying for an environmental permit');
  await page.waitForURL(/\/m\/\d+$/);
  await page.click('nav.tabs >> text=Evidence');
  await page.locator('.upload-form').waitFor();
  const rows = ['member;moment;action;plan'];
  for (let i = 0; i < 30; i++) rows.push(`m${i % 7};2026-03-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z;${['visit', 'sign up', 'pay'][i % 3]};${i % 2 ? 'gold' : 'free'}`);
  await page.setInputFiles('.upload-form input[type=file]', { name: 'signups.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n') + '\n') });
  await page.click('.upload-form button[type=submit]');
  await page.waitForURL(/\?log=\d+/);
  const card = page.locator('#pending-log');
  await card.waitFor();
  assert.match(await card.locator('h2').innerText(), /Choose how to read signups\.csv/);
  assert.match(await card.locator('[role=alert]').innerText(), /no customer \(case\) id column found/);
  // Every column is offered, and the first rows are shown.
  const options = await card.locator('select[name=case] option').allInnerTexts();
  assert.deepEqual(options.slice(1), ['member', 'moment', 'action', 'plan']);
  assert.match(await card.locator('table.preview').innerText(), /m0\s+2026-03-01T10:00:00Z\s+visit\s+free/);
  await shot('05b-choose-columns');
  await card.locator('select[name=case]').selectOption('member');
  await card.locator('select[name=time]').selectOption('moment');
  await card.locator('select[name=activity]').selectOption('action');
  await card.locator('button[type=submit]').click();
  // The page reloads with the new log attached (the old page had figures too).
  await page.locator('#pending-log').waitFor({ state: 'detached' });
  await page.waitForFunction(() => /Customers\s+7\b/.test(document.querySelector('dl.facts')?.innerText || ''));
  await page.locator('#figures').waitFor();
  const facts = await page.locator('dl.facts').first().innerText();
  assert.match(facts, /Customers\s+7/);
  assert.match(facts, /Events\s+30/);
  assert.equal(await page.locator('#pending-log').count(), 0);
  // The columns chosen are marked in the first rows of the attached log.
  assert.match(await page.locator('table.preview thead').textContent(), /member\s*customer/);
  await shot('05c-columns-chosen');
  // A log of the server's folder attaches in place.
  const serverLogs = page.locator('#server-logs');
  assert.match(await serverLogs.innerText(), /bpic2012\.xes\.gz[\s\S]*sepsis\.csv/);
  await serverLogs.scrollIntoViewIfNeeded();
  await shot('05d-server-logs');
  await serverLogs.locator('tr', { hasText: 'sepsis.csv' }).locator('button', { hasText: 'Attach' }).click();
  await page.waitForFunction(() => /Customers\s+1,050/.test(document.querySelector('dl.facts')?.innerText || ''));
  assert.match(await page.locator('#workspace-logs').innerText(), /sepsis\.csv\s+SERVER/i);
  // The demo log is one click away, and comes back whole.
  const receipt = page.locator('#workspace-logs tr', { hasText: 'receipt' });
  await receipt.locator('button', { hasText: 'Attach' }).click();
  await page.waitForFunction(() => /1,434/.test(document.querySelector('dl.facts')?.innerText || ''));
});

test('create a map from a template', async () => {
  await page.goto(new URL('/', server.base).href);
  await page.click('text=New map');
  await page.fill('input[name=title]', 'Buying a bike online');
  await page.check('input[name=template][value=ecommerce]');
  await page.fill('input[name=tags]', 'bikes, q4');
  await shot('07-new-map');
  await page.click('button:has-text("Create map")');
  await page.waitForURL(/\/m\/\d+$/);
  mapUrl = page.url();
  assert.equal(await page.locator('h1').innerText(), 'Buying a bike online');
  await page.locator('.canvas svg .step-hit').first().waitFor();
  await shot('08-map');
});

test('edit the text and watch the preview change; an error shows inline and is fixed', async () => {
  await page.goto(`${mapUrl}/edit`);
  await page.locator('#preview svg').waitFor();
  const editor = page.locator('.cm-content');
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.insertText('\n    Tell a friend about it: 5');
  await page.waitForFunction(() => document.querySelector('#preview svg')?.textContent.includes('Tell a friend about it'));
  await shot('09-editor-preview');
  await page.keyboard.insertText('\n      pain: x [severity 9]');
  await page.locator('.problem.error').waitFor();
  assert.match(await page.locator('.problem.error').innerText(), /E017/);
  await page.locator('.cm-lintRange-error').first().waitFor();
  assert.ok(await page.locator('#save').isDisabled(), 'saving is off while the text has errors');
  await shot('10-editor-error');
  // Fix it where it stands: severity 9 becomes 3.
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await page.keyboard.insertText('3]');
  await page.locator('.problem.error').waitFor({ state: 'detached' });
  await page.fill('#save-message', 'Added the referral step');
  await page.click('#save');
  await page.locator('#status', { hasText: 'v2 is the last saved version' }).waitFor();
  // A form edit goes into the live text too (as if typed); Save makes it a version.
  const score = page.locator('select[aria-label="Score of Tell a friend about it"]');
  await score.selectOption('3');
  await page.waitForFunction(() => document.querySelector('.cm-content')?.textContent.includes('Tell a friend about it: 3'));
  await page.click('#save');
  await page.locator('#status', { hasText: 'v3 is the last saved version' }).waitFor();
  // The editor draws only the lines in view: read the saved text from the API.
  const text = (await (await context.request.get(mapUrl.replace('/m/', '/api/maps/'))).json()).source;
  assert.match(text, /Tell a friend about it: 3/);
  assert.match(text, /pain: x \[severity 3\]/);
  assert.match(text, /%%/, 'the template\'s comments are still there');
});

test('comment on a step, reply, resolve', async () => {
  await page.goto(mapUrl);
  const hit = page.locator('.step-hit').nth(1);
  await hit.click();
  await page.locator('#details h2').waitFor();
  const step = await page.locator('#details h2').innerText();
  await page.fill('#comment-form textarea', `Can we shorten this? @ada.admin`);
  await page.click('#comment-form button[type=submit]');
  await page.waitForLoadState('load');
  await page.locator('.thread .comment .body', { hasText: 'Can we shorten this?' }).waitFor();
  assert.equal(await page.locator('.thread .mention').first().innerText(), '@ada.admin');
  await page.locator('.thread details.reply summary').first().click();
  await page.locator('.thread details.reply textarea').first().fill('Yes, merge it with the next step.');
  await page.locator('.thread details.reply button[type=submit]').first().click();
  await page.locator('.replies .comment .body', { hasText: 'merge it' }).waitFor();
  await shot('11-comments');
  // The mention reaches Ada's gallery until the thread is resolved.
  await page.click('.crumbs a >> nth=0');
  await page.locator('.mentions', { hasText: 'Can we shorten this?' }).waitFor();
  await shot('11b-mentions');
  await page.goBack();
  await page.locator('.thread button:has-text("Resolve")').first().click();
  await page.locator('.thread.resolved').first().waitFor();
  assert.ok(step.length > 0);
  // Escape closes the step's details (a workshop habit), and the tab has cjm's icon.
  await page.locator('.step-hit').nth(1).click();
  await page.locator('#details:not([hidden]) h2').waitFor();
  await page.keyboard.press('Escape');
  await page.locator('#details').waitFor({ state: 'hidden' });
  assert.match(await page.locator('link[rel=icon]').getAttribute('href'), /^data:image\/svg\+xml,/);
});

test('history: compare two versions and restore the first', async () => {
  await page.goto(`${mapUrl}/history`);
  await page.locator('table.history').waitFor();
  await shot('12-history');
  await page.click('button:has-text("Compare the two chosen versions")');
  await page.locator('.changes li').first().waitFor();
  assert.match(await page.locator('.changes').innerText(), /score 5 → 3|Tell a friend/);
  await shot('13-diff');
  await page.goto(`${mapUrl}/history`);
  const row = page.locator('table.history tbody tr', { hasText: 'v1' });
  await row.locator('button:has-text("Restore")').click();
  await page.locator('table.history tbody tr', { hasText: 'Restored version 1' }).waitFor();
  const res = await context.request.get(`${mapUrl.replace('/m/', '/api/maps/')}`);
  const detail = await res.json();
  assert.equal(detail.head, 4);
  assert.doesNotMatch(detail.source, /Tell a friend/);
});

let shareUrl = '';
test('a read-only share link opens while signed out', async () => {
  await page.goto(`${mapUrl}/share`);
  await page.click('button:has-text("Make link")');
  await page.locator('.reveal:not([hidden]) code.secret').waitFor();
  shareUrl = await page.locator('.reveal:not([hidden]) code.secret').innerText();
  assert.match(shareUrl, /\/s\/[A-Za-z0-9_-]{20,}$/);
  const outsider = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const p = await outsider.newPage();
  await p.goto(shareUrl);
  assert.equal(await p.locator('h1').innerText(), 'Buying a bike online');
  assert.equal(await p.locator('nav.tabs').count(), 0, 'no edit, history or share tabs');
  assert.equal(await p.locator('#comment-form').count(), 0);
  await p.screenshot({ path: join(shots, 'webapp-14-shared.png') });
  const api = await outsider.request.get(new URL(mapUrl.replace('/m/', '/api/maps/'), server.base).href);
  assert.equal(api.status(), 401);
  await outsider.close();
});

test('download the map as PNG', async () => {
  await page.goto(mapUrl);
  await page.click('details.downloads summary');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('details.downloads a:has-text("PNG")')]);
  const path = await download.path();
  const bytes = readFileSync(path);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.match(download.suggestedFilename(), /^buying-a-bike-online\.png$/);
});

test('tags, a new workspace and a new password', async () => {
  await page.goto(mapUrl);
  await page.click('details.map-settings summary');
  await page.fill('details.map-settings input[name=tags]', 'bikes, q4, checkout');
  await Promise.all([page.waitForNavigation(), page.click('details.map-settings button:has-text("Save tags")')]);
  await page.goto(new URL('/?all', server.base).href);
  await page.fill('input[name=name]', 'Retail CX team');
  await page.click('button:has-text("Create workspace")');
  await page.waitForURL(/\/w\/\d+$/);
  assert.equal(await page.locator('h1').innerText(), 'Retail CX team');
  await page.goto(new URL('/account', server.base).href);
  await page.fill('input[name=current]', admin.password);
  await page.fill('input[name=new]', 'an even better password');
  await page.click('button:has-text("Change password")');
  await page.locator('#toast.show', { hasText: 'Password changed' }).waitFor();
  await shot('16-account');
  await page.click('text=Sign out');
  await page.fill('input[name=email]', admin.email);
  await page.fill('input[name=password]', 'an even better password');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  const res = await context.request.get(mapUrl.replace('/m/', '/api/maps/'));
  assert.deepEqual((await res.json()).tags, ['bikes', 'q4', 'checkout']);
});

// The hostile-text corpus shared with the renderer's tests.
const HOSTILE = JSON.parse(readFileSync(join(repo, 'testdata/hostile-text.json'), 'utf8')).strings
  .map((e) => (typeof e === 'string' ? e : e.repeat.repeat(e.times)));
const short = (h) => (h.length > 2000 ? h.slice(0, 2000) : h);

test('hostile text in maps, tags and comments stays text on every page', async () => {
  const ws = page.url().match(/\/w\/(\d+)/)?.[1] || (await (await context.request.get(new URL('/api/workspaces', server.base).href)).json())[0].id;
  const steps = HOSTILE.map((h, i) => ({
    id: `step-${i}`, name: h, score: 3, actors: ['P'], doing: h, thinking: h, feeling: h, channels: [short(h), 'web'], touchpoints: [h],
    pains: [{ text: h, severity: 2 }], opportunities: [{ text: h, owner: short(h) }], backstage: [h], systems: [short(h)], owner: short(h), notes: [h],
  }));
  const journey = {
    format: 'cjm/1', title: `${HOSTILE[0]} ${HOSTILE[5]}`, description: HOSTILE[1],
    personas: [{ id: 'p', name: 'P', description: HOSTILE[2], quote: HOSTILE[3], goals: HOSTILE.slice(0, 6) }],
    stages: [{ id: 'stage', name: HOSTILE[1], goal: HOSTILE[6], steps }],
  };
  const csrf = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  const made = await page.evaluate(async ({ ws, journey, csrf, tag }) => {
    const r = await fetch(`/api/workspaces/${ws}/maps`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify({ journey, tags: [tag] }) });
    return [r.status, await r.json()];
  }, { ws, journey, csrf, tag: '<b>x</b>' });
  assert.equal(made[0], 201, JSON.stringify(made[1]));
  const id = made[1].id;
  await page.evaluate(async ({ id, csrf, body }) => {
    await fetch(`/api/maps/${id}/comments`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf }, body: JSON.stringify({ body }) });
  }, { id, csrf, body: HOSTILE.map(short).join(' ') });
  for (const path of [`/m/${id}`, `/m/${id}/history`, `/m/${id}/edit`, `/w/${ws}`, `/w/${ws}?q=${encodeURIComponent('<script>')}`, `/m/${id}/evidence`]) {
    await page.goto(new URL(path, server.base).href);
    await page.waitForLoadState('networkidle');
    const injected = await page.evaluate(() => ({
      inlineScripts: [...document.querySelectorAll('script')].filter((s) => !s.src && s.type !== 'application/json').length,
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      imgs: document.querySelectorAll('img[src="x"]').length,
    }));
    assert.deepEqual(injected, { inlineScripts: 0, handlers: 0, imgs: 0 }, path);
  }
  await page.goto(new URL(`/m/${id}`, server.base).href);
  assert.match(await page.locator('h1').innerText(), /<script>alert\(1\)<\/script>/);
  assert.equal(await page.locator('.thread').count(), 1, 'the hostile comment is shown, as text');
  await shot('15-hostile');
  assert.deepEqual(consoleErrors.filter((e) => e.startsWith('alert')), []);
});

test('no script errors on any page', () => {
  assert.deepEqual(consoleErrors.filter((e) => !/status of 4\d\d/.test(e)), []);
});
