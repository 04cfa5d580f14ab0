// The web app as a CX lead prepares a review, in real headless Chromium:
// the opportunity portfolio (the demo map's matrix and ranked list, whose
// ranks and quadrants equal `cjm opportunities --format json`; a status
// filter in the URL; the CSV for Jira or Linear; the workspace's portfolio
// narrowed to one owner); the current-vs-future board fitting 1440 and
// 1024 px; the template gallery; share links pinned to the current state,
// shown again, and their embeddable view; comments kept on their step with
// counts and `@` suggestions; and a wide map's minimap, Fit, zoom and lane
// labels that stay in view.
// Screenshots: e2e/screenshots/portfolio-*.png at 1440 and 1024 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, shots, repo, cjmBin } from './browser.mjs';
import { startServer, signUpAdmin } from './serve.mjs';

let server, browser, context, page;
const admin = { name: 'Carla Lead', email: 'carla@example.com', password: 'correct horse battery' };
const errors = [];
const demoMap = join(repo, 'crates/cjm-server/assets/demo/permit.cjm');

async function shot(name) {
  await page.screenshot({ path: join(shots, `portfolio-${name}.png`), fullPage: false });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: join(shots, `portfolio-${name}-1024.png`), fullPage: false });
  await page.setViewportSize({ width: 1440, height: 900 });
}

function opportunities(...args) {
  return JSON.parse(execFileSync(cjmBin(), ['opportunities', ...args, '--format', 'json'], { encoding: 'utf8' })).opportunities;
}

async function rows() {
  return page.locator('table.portfolio tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.innerText.trim())));
}

before(async () => {
  server = await startServer();
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await signUpAdmin(page, server.setup, admin);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the demo map's portfolio ranks as cjm opportunities does", async () => {
  await Promise.all([page.waitForURL(/\/m\/\d+$/), page.click('text=Applying for an environmental permit')]);
  await Promise.all([page.waitForURL(/\/opportunities$/), page.click('nav.tabs >> text=Opportunities')]);
  const want = opportunities(demoMap);
  const got = await rows();
  assert.equal(got.length, want.length);
  const names = { 'quick-win': 'Quick win', 'big-bet': 'Big bet', 'fill-in': 'Fill-in', 'money-pit': 'Money pit', unrated: 'Not rated' };
  want.forEach((o, k) => {
    assert.equal(Number(got[k][0]), o.rank, o.text);
    assert.equal(got[k][1], o.text);
    assert.equal(got[k][2], names[o.quadrant], o.text);
  });
  const svg = page.locator('.chart-frame svg');
  await svg.waitFor();
  for (const q of ['Quick wins · 3', 'Big bets · 1', 'Fill-ins · 1', 'Money pits · 1']) {
    assert.ok((await svg.innerHTML()).includes(q), `the matrix shows ${q}`);
  }
  await shot('01-map');
  await page.locator('.chart-frame').scrollIntoViewIfNeeded();
  await page.locator('table.portfolio').scrollIntoViewIfNeeded();
  await shot('02-map-list');
});

test('a status filter stays in the URL, keeps the ranks, and the CSV follows it', async () => {
  await page.check('input[name=status][value=idea]');
  await Promise.all([page.waitForURL(/status=idea/), page.click('.portfolio-filters button[type=submit]')]);
  const want = opportunities(demoMap, '--status', 'idea');
  const got = await rows();
  assert.deepEqual(got.map((r) => Number(r[0])), want.map((o) => o.rank));
  assert.match(await page.locator('.portfolio-summary').innerText(), /of 6 in all/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('text=CSV for Jira or Linear')]);
  const csv = readFileSync(await download.path(), 'utf8');
  assert.ok(csv.startsWith('Summary,Description,Priority,Status,Assignee,Labels'), csv.slice(0, 80));
  assert.equal(csv.split('\n').filter((l) => l.includes(',Backlog,')).length, want.length, 'ideas import to the backlog');
  await shot('03-filtered');
});

test("the workspace's portfolio spans every map and narrows to one owner", async () => {
  await page.goto(new URL('/', page.url()).href);
  await Promise.all([page.waitForURL(/\/w\/\d+$/), page.locator('a[href^="/w/"]').first().click()]);
  await Promise.all([page.waitForURL(/\/opportunities$/), page.click('.page-head >> text=Opportunities')]);
  const all = await rows();
  assert.ok(all.length > 6, `more than the demo map's: ${all.length}`);
  assert.deepEqual(all.map((r) => Number(r[0])), all.map((_, k) => k + 1), 'ranked 1…n');
  await shot('04-workspace');
  await page.selectOption('select[name=owner]', 'Permit desk');
  await Promise.all([page.waitForURL(/owner=Permit/), page.click('.portfolio-filters button[type=submit]')]);
  const desk = await rows();
  assert.ok(desk.length >= 2 && desk.every((r) => r[6] === 'Permit desk'), JSON.stringify(desk));
  assert.deepEqual(errors, []);
});

test('the current-vs-future board fits the screen and marks each step', async () => {
  await page.goto(new URL('/', page.url()).href);
  await Promise.all([page.waitForURL(/\/m\/\d+$/), page.click('text=Applying for an environmental permit')]);
  await Promise.all([page.waitForURL(/\/compare$/), page.click('nav.tabs >> text=Current vs future')]);
  const board = page.locator('.compare-board svg');
  await board.waitFor();
  assert.match(await board.innerHTML(), /class="step change-/);
  for (const width of [1440, 1024]) {
    await page.setViewportSize({ width, height: 900 });
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    assert.ok(fits, `no sideways scrolling at ${width} px`);
    const box = await board.boundingBox();
    assert.ok(box.width <= width, `the board is ${box.width} px wide at ${width}`);
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  await shot('05-current-vs-future');
  assert.deepEqual(errors, []);
});

test('a new map starts from a template chosen by its picture', async () => {
  await page.goto(new URL('/', page.url()).href);
  await Promise.all([page.waitForURL(/\/w\/\d+$/), page.locator('a[href^="/w/"]').first().click()]);
  await Promise.all([page.waitForURL(/\/new$/), page.click('text=New map')]);
  const previews = page.locator('img.template-preview');
  await previews.first().waitFor();
  for (const img of await previews.all()) await img.scrollIntoViewIfNeeded();
  await page.waitForFunction(() => Array.from(document.querySelectorAll('img.template-preview')).every((i) => i.complete));
  await page.evaluate(() => window.scrollTo(0, 0));
  const loaded = await previews.evaluateAll((imgs) => imgs.map((i) => i.complete && i.naturalWidth > 0));
  assert.ok(loaded.length >= 5 && loaded.every(Boolean), `every preview drawn: ${loaded}`);
  await shot('06-template-gallery');
});

test('a share link pinned to the current state, shown again with its embed code', async () => {
  await page.goto(new URL('/', page.url()).href);
  await Promise.all([page.waitForURL(/\/m\/\d+$/), page.click('text=Applying for an environmental permit')]);
  await Promise.all([page.waitForURL(/\/share$/), page.click('nav.tabs >> text=Share')]);
  await page.fill('input[name=label]', 'Board review');
  await page.selectOption('select[name=pin]', 'current');
  await page.fill('input[name=embed_origins]', 'https://example.atlassian.net');
  await page.click('button:has-text("Make link")');
  const made = page.locator('#new-link:not([hidden]) code.secret');
  await made.waitFor();
  const url = await made.innerText();
  assert.match(await page.locator('#new-link code.embed-code').innerText(), /<iframe src=".*\/embed"/);
  await page.reload();
  await page.click('button:has-text("Show link")');
  const shown = page.locator('#shown-link:not([hidden]) code.secret');
  await shown.waitFor();
  assert.equal(await shown.innerText(), url, 'the same link, shown again');
  assert.match(await page.locator('table.list').innerText(), /the version marked current \(now 1\)/);
  await shot('07-share-options');
  const embed = await context.request.get(url + '/embed');
  assert.equal(embed.status(), 200);
  assert.match(embed.headers()['content-security-policy'], /frame-ancestors https:\/\/example\.atlassian\.net/);
  const viewer = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  const p = await viewer.newPage();
  await p.goto(url + '/embed');
  await p.locator('main svg').waitFor();
  assert.match(await p.locator('footer').innerText(), /version 1, the current state/);
  await p.screenshot({ path: join(shots, 'portfolio-08-embed-1024.png') });
  await viewer.close();
  assert.deepEqual(errors, []);
});

test('a comment posted on a step keeps the step selected, and the step shows its count', async () => {
  await page.goto(new URL('/', page.url()).href);
  await Promise.all([page.waitForURL(/\/m\/\d+$/), page.click('text=Applying for an environmental permit')]);
  const hit = page.locator('rect.step-hit[data-step="receipt-is-checked"]');
  await hit.waitFor({ state: 'attached' });
  assert.equal(await page.locator('.comment-count[data-step="receipt-is-checked"] text').textContent(), '1 comment', 'the demo comment counted');
  await hit.dispatchEvent('click');
  await page.locator('#details:not([hidden])').waitFor();
  await page.fill('#comment-form textarea', 'Can we show the status by Friday?');
  await Promise.all([page.waitForURL(/step=receipt-is-checked/), page.click('#comment-form button[type=submit]')]);
  await page.locator('#details:not([hidden]) h2').waitFor();
  assert.equal(await page.locator('#details h2').innerText(), 'Receipt is checked', 'the step is still selected');
  assert.equal(await page.locator('.comment-count[data-step="receipt-is-checked"] text').textContent(), '2 comments');
  await shot('09-comment-kept-on-step');
  assert.deepEqual(errors, []);
});

test('@ in a comment offers the workspace\'s people and writes the handle', async () => {
  const box = page.locator('#comment-form textarea');
  await box.fill('');
  await box.pressSequentially('Ask @car');
  const option = page.locator('#mention-list:not([hidden]) li').first();
  await option.waitFor();
  assert.match(await option.innerText(), /^@\S+ · Carla Lead$/);
  await shot('10-mention');
  await box.press('Enter');
  assert.match(await box.inputValue(), /^Ask @\S+ $/);
  assert.ok(await page.locator('#mention-list').isHidden());
  assert.deepEqual(errors, []);
});

test('a wide map: a minimap that moves the view, Fit on both axes, zoom keeping its place', async () => {
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.goto(new URL('/', page.url()).href);
  await Promise.all([page.waitForURL(/\/w\/\d+$/), page.locator('a[href^="/w/"]').first().click()]);
  await Promise.all([page.waitForURL(/\/m\/\d+$/), page.click('text=Buy a laptop online')]);
  const mini = page.locator('.minimap');
  await mini.waitFor();
  assert.ok(await mini.isVisible(), 'a wide map at 1024 px has a minimap');
  // It opens readable, not shrunk to fit: cell text at 10 px or more.
  const start = Number((await page.locator('.zoom-level').innerText()).replace('%', ''));
  assert.ok(start >= 80, `a wide map opens at a readable zoom (${start}%)`);
  const cellText = await page.locator('#viewport .cell text').first().evaluate((t) => t.getBoundingClientRect().height);
  assert.ok(cellText >= 10, `cell text is ${cellText} px tall`);
  await shot('11a-start-1024');
  const box = await mini.boundingBox();
  await page.mouse.click(box.x + box.width * 0.9, box.y + box.height / 2);
  assert.ok(await page.locator('#viewport').evaluate((v) => v.scrollLeft > 0), 'a click on the minimap moves the view');
  // The lane labels stayed in view: still at the view's left edge.
  const label = await page.locator('#viewport .lane-label[data-lane="steps"] text').first().boundingBox();
  const view = await page.locator('#viewport').boundingBox();
  assert.ok(label.x >= view.x && label.x < view.x + 60, `the Steps label is at the view's left (${label.x} vs ${view.x})`);
  await shot('11-minimap');
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.click('[data-zoom=fit]');
  const fits = await page.locator('#viewport').evaluate((v) => {
    const r = v.querySelector('svg').getBoundingClientRect();
    return r.width <= v.clientWidth && r.height <= parseFloat(getComputedStyle(v).maxHeight);
  });
  assert.ok(fits, 'Fit shows the whole map, both ways');
  assert.ok(await mini.isHidden(), 'no minimap when the whole map is in view');
  const before = Number((await page.locator('.zoom-level').innerText()).replace('%', ''));
  await page.click('[data-zoom=in]');
  const after = Number((await page.locator('.zoom-level').innerText()).replace('%', ''));
  assert.ok(after > before, `+ zooms in: ${before}% → ${after}%`);
  await page.setViewportSize({ width: 1440, height: 900 });
  assert.deepEqual(errors, []);
});
