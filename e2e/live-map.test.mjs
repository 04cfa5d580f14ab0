// Editing on the map, together: Ada and Bea open the same map's editor;
// Ada changes a pain point where it is drawn, drags a persona's face on the
// emotion curve, adds a step with "+", and Bea's map follows each change;
// while Ada edits a step, Bea sees her name on it; Undo takes Ada's change
// back. Screenshots in e2e/screenshots/map-edit-*.png, at 1440 and 1024 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, shots } from './browser.mjs';
import { signUpAdmin, startServer } from './serve.mjs';

let server, browser, ada, bea, mapId;
const errors = [];

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `map-edit-${name}.png`) });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: join(shots, `map-edit-${name}-1024.png`) });
  await page.setViewportSize({ width: 1440, height: 900 });
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('dialog', (d) => d.accept());
  return page;
}

before(async () => {
  server = await startServer();
  browser = await launch();
  ada = await newPage();
  const ws = await signUpAdmin(ada, server.setup, { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery' });
  const csrf = await ada.locator('meta[name=csrf-token]').getAttribute('content');
  const invite = await ada.context().request.post(`${server.base}/api/workspaces/${ws}/invitations`, {
    headers: { 'x-csrf-token': csrf, origin: server.base }, data: { email: 'bea@example.com', role: 'editor' },
  });
  bea = await newPage();
  await bea.goto((await invite.json()).url);
  await bea.fill('input[name=name]', 'Bea Builder');
  await bea.fill('input[name=password]', 'another long password');
  await bea.click('button[type=submit]');
  await bea.waitForURL(/\/w\/\d+$/);
  const maps = await (await ada.context().request.get(`${server.base}/api/workspaces/${ws}/maps`)).json();
  mapId = maps.find((m) => m.title === 'Buy a laptop online').id;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openEditor(page) {
  await page.goto(`${server.base}/m/${mapId}/edit`);
  await page.locator('.cm-content').waitFor();
  await page.locator('#status', { hasText: 'All changes stored' }).waitFor();
  await page.locator('#preview svg .face').first().waitFor();
  await page.evaluate(() => { window.__live = window.cjmEditorInstance; });
}

const text = (page) => page.evaluate(() => window.__live.getText());
const mapHas = (page, s) => page.waitForFunction((s) => (document.querySelector('#preview svg') || {}).textContent?.includes(s), s, { timeout: 10000 });

test('a pain point changed on the map reaches the other page, in the text and on its map', async () => {
  await openEditor(ada);
  await openEditor(bea);
  const pain = ada.locator('#preview [data-item="pain"]').first();
  await pain.click();
  const pop = ada.locator('.map-pop');
  await pop.waitFor();
  // While Ada's editor is open, Bea's map shows her on that step.
  await bea.locator('.other-editing', { hasText: 'Ada Admin' }).waitFor();
  // The frame spans the step's whole column; its name label sits on top.
  await bea.locator('.other-editing').evaluate((frame) => {
    const preview = document.getElementById('preview');
    const top = frame.getBoundingClientRect().top - preview.getBoundingClientRect().top;
    preview.scrollTop = Math.max(0, preview.scrollTop + top - 40);
    window.scrollTo(0, 0);
  });
  await shot(bea, '01-bea-sees-ada-editing');
  await pop.locator('textarea[name=text]').fill('Shipping costs appear only at checkout');
  await pop.locator('select[name=severity]').selectOption('5');
  await shot(ada, '02-ada-edits-a-pain');
  await pop.locator('textarea[name=text]').press('Enter');
  await bea.waitForFunction(() => window.__live.getText().includes('Shipping costs appear only at checkout'));
  await mapHas(bea, 'Shipping costs');
  assert.match(await text(bea), /pain: Shipping costs appear only at checkout \[severity 5\]/);
  assert.equal(await text(ada), await text(bea));
  await bea.locator('.other-editing').waitFor({ state: 'detached' });
  await shot(bea, '03-bea-sees-the-change');
});

test('Escape cancels, and Undo takes a map change back for everybody', async () => {
  const before = await text(ada);
  await ada.locator('#preview .cell[data-lane="steps"]').first().click();
  await ada.locator('.map-pop input[name=name]').fill('Something else');
  await ada.keyboard.press('Escape');
  await ada.locator('.map-pop').waitFor({ state: 'detached' });
  assert.equal(await text(ada), before);
  await ada.locator('#undo').click();
  await bea.waitForFunction(() => !window.__live.getText().includes('Shipping costs appear only at checkout'));
  assert.equal(await text(bea), await text(ada));
  await ada.locator('#redo').click();
  await bea.waitForFunction(() => window.__live.getText().includes('Shipping costs appear only at checkout'));
});

test("dragging a persona's face sets that persona's score, and the arrow keys do too", async () => {
  const face = ada.locator('#preview .face[data-step]').first();
  const step = await face.getAttribute('data-step');
  const persona = await face.getAttribute('data-persona');
  const score = Number(await face.getAttribute('data-score'));
  await face.evaluate((e) => e.scrollIntoView({ block: 'center', inline: 'center' }));
  const box = await face.boundingBox();
  const target = score >= 3 ? 1 : 5;
  // Where the target score is on the screen, from the lane's scale.
  const y = await ada.evaluate((target) => {
    const g = document.querySelector('#preview .emotion'), d = g.dataset, m = g.getScreenCTM();
    const local = Number(d.top) + ((Number(d.max) - target) / (Number(d.max) - Number(d.min))) * (Number(d.bottom) - Number(d.top));
    return m.f + m.d * local;
  }, target);
  await ada.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await ada.mouse.down();
  await ada.mouse.move(box.x + box.width / 2, (box.y + y) / 2, { steps: 4 });
  await ada.mouse.move(box.x + box.width / 2, y, { steps: 4 });
  await ada.mouse.up();
  const sel = `#preview .face[data-step="${step}"][data-persona="${persona}"]`;
  await bea.waitForFunction(({ sel, target }) => document.querySelector(sel)?.dataset.score === String(target), { sel, target }, { timeout: 10000 });
  await shot(bea, '04-bea-sees-the-dragged-face');
  // Keyboard: a focused face moves one step per arrow key.
  await ada.locator(sel).waitFor();
  await ada.waitForFunction(({ sel, target }) => document.querySelector(sel)?.dataset.score === String(target), { sel, target });
  await ada.locator(sel).focus();
  await ada.keyboard.press(target === 1 ? 'ArrowUp' : 'ArrowDown');
  const next = target === 1 ? 2 : 4;
  await bea.waitForFunction(({ sel, next }) => document.querySelector(sel)?.dataset.score === String(next), { sel, next }, { timeout: 10000 });
});

test('"+" between columns adds a step on every persona\'s curve; a new persona appears on both pages', async () => {
  const plus = ada.locator('#preview .add-between').nth(1);
  await plus.click();
  await ada.locator('.map-pop input[name=name]').fill('Read the return policy');
  await ada.keyboard.press('Enter');
  await mapHas(bea, 'Read the return policy');
  assert.match(await text(bea), /Read the return policy: -/);
  await ada.locator('#add-persona').click();
  await ada.locator('.map-pop input[name=name]').fill('Omar');
  await ada.keyboard.press('Enter');
  await bea.locator('#preview .persona[data-persona="Omar"]').waitFor();
  await ada.locator('#preview .persona[data-persona="Omar"]').click();
  await ada.locator('.map-pop textarea[name=description]').fill('Retired teacher, buys for his grandchildren');
  await ada.keyboard.press('Enter');
  await mapHas(bea, 'Retired teacher');
  await shot(bea, '05-new-step-and-persona');
  // The map alone, as a board room would see it.
  await ada.locator('.layout-switch [data-layout="map"]').click();
  await shot(ada, '06-map-only');
  await ada.locator('.layout-switch [data-layout="both"]').click();
});

test('the map page offers the unsaved live edits for saving, with who changed what', async () => {
  await bea.goto(`${server.base}/m/${mapId}`);
  const banner = bea.locator('#unsaved-live');
  await banner.waitFor();
  // Ada has the editor open: the map page says so.
  await bea.locator('#map-presence .person', { hasText: 'Ada Admin' }).waitFor();
  const said = await banner.textContent();
  assert.match(said, /Ada Admin/);
  assert.match(said, /added step “Read the return policy”/);
  await shot(bea, '07-unsaved-offered');
  await banner.locator('button', { hasText: 'Save as version' }).click();
  // The page reloads without the offer.
  await bea.locator('#unsaved-live').waitFor({ state: 'detached' });
  await bea.locator('.page-head').waitFor();
  const history = await (await bea.context().request.get(`${server.base}/api/maps/${mapId}/versions`)).json();
  assert.match(history[0].message, /Added/, JSON.stringify(history[0]));
  // The map page leads to editing on the map itself.
  await bea.locator('a', { hasText: 'Edit on the map' }).click();
  await bea.locator('#editor-root[data-layout="map"]').waitFor();
  await bea.locator('#preview svg .face').first().waitFor();
  await shot(bea, '07b-edit-on-the-map');
});

test('a live share link follows the edits without names, and stops when revoked', async () => {
  await openEditor(ada);
  const csrf = await ada.locator('meta[name=csrf-token]').getAttribute('content');
  const made = await ada.context().request.post(`${server.base}/api/maps/${mapId}/shares`, {
    headers: { 'x-csrf-token': csrf, origin: server.base }, data: { label: 'board', live: true },
  });
  assert.equal(made.status(), 201, await made.text());
  const link = await made.json();
  const guest = await browser.newContext({ viewport: { width: 1440, height: 900 } }).then((c) => c.newPage());
  guest.on('pageerror', (e) => errors.push(String(e)));
  await guest.goto(link.url);
  await guest.locator('#live-badge', { hasText: 'Live' }).waitFor();
  await ada.locator('#preview .cell[data-lane="steps"]').first().click();
  await ada.locator('.map-pop input[name=name]').fill('Spot the laptop in a story');
  await ada.keyboard.press('Enter');
  await guest.waitForFunction(() => document.querySelector('#viewport svg')?.textContent.includes('Spot the laptop in a story'), null, { timeout: 10000 });
  assert.ok(!(await guest.content()).includes('Ada Admin'), 'a member\'s name reached the share view');
  await guest.screenshot({ path: join(shots, 'map-edit-08-share-link-live.png') });
  await guest.setViewportSize({ width: 1024, height: 768 });
  await guest.screenshot({ path: join(shots, 'map-edit-08-share-link-live-1024.png') });
  const revoked = await ada.context().request.delete(`${server.base}/api/maps/${mapId}/shares/${link.id}`, {
    headers: { 'x-csrf-token': csrf, origin: server.base },
  });
  assert.equal(revoked.status(), 204);
  await guest.locator('#live-badge', { hasText: 'revoked' }).waitFor();
  await guest.context().close();
});

test('dragging a stage band moves the stage with its steps, for everybody', async () => {
  await openEditor(bea);
  const first = ada.locator('#preview .stage[data-stage]', { hasText: 'Discover' });
  const second = ada.locator('#preview .stage[data-stage]', { hasText: 'Compare' });
  // Both bands in view: Compare whole, Discover's right end. (The drawing
  // may be replaced by a pushed preview meanwhile: ask until both are there.)
  let a = null, b = null;
  for (let i = 0; i < 50 && !(a && b); i++) {
    await mapHas(ada, 'Compare');
    await second.evaluate((e) => e.scrollIntoView({ block: 'center', inline: 'end' })).catch(() => {});
    [a, b] = [await first.boundingBox(), await second.boundingBox()];
    if (!(a && b)) await ada.waitForTimeout(200);
  }
  assert.ok(a && b, 'the stage bands are drawn');
  const from = a.x + a.width - 30, y = a.y + a.height / 2;
  await ada.mouse.move(from, y);
  await ada.mouse.down();
  await ada.mouse.move(from + 40, y, { steps: 3 });
  await ada.mouse.move(b.x + b.width - 10, y, { steps: 6 });
  await ada.locator('#preview .drop-mark').waitFor();
  await shot(ada, '09-dragging-a-stage');
  await ada.mouse.up();
  await bea.waitForFunction(() => {
    const t = window.__live.getText();
    return t.indexOf('section Compare') >= 0 && t.indexOf('section Compare') < t.indexOf('section Discover');
  }, null, { timeout: 10000 });
  // Its steps went with it, and no dialog opened under the pointer.
  const t = await text(bea);
  assert.ok(t.indexOf('See an Instagram ad') > t.indexOf('section Discover') || t.indexOf('Spot the laptop') > t.indexOf('section Discover'));
  assert.equal(await ada.locator('.map-pop').count(), 0);
});

test("a step's evidence rule picked from the log's values, with their counts, through the live text", async () => {
  await ada.goto(`${server.base}/`);
  await ada.click('text=Applying for an environmental permit');
  await ada.waitForURL(/\/m\/\d+$/);
  const permit = ada.url().match(/\/m\/(\d+)/)[1];
  await ada.goto(`${server.base}/m/${permit}/edit`);
  await ada.locator('.cm-content').waitFor();
  await ada.locator('#status', { hasText: 'All changes stored' }).waitFor();
  await ada.evaluate(() => { window.__live = window.cjmEditorInstance; });
  const cell = ada.locator('#preview .cell[data-lane="steps"][data-step]').first();
  await cell.click();
  await ada.locator('.map-pop [data-evidence-pick]').click();
  const pop = ada.locator('.map-pop.pick-pop');
  await pop.waitFor();
  // The rule the step has is read back as ticks, and counted.
  const ticked = pop.locator('input[type=checkbox][data-field=touchpoint]:checked');
  assert.equal(await ticked.count(), 1);
  await pop.locator('.pick-summary', { hasText: 'matches' }).waitFor();
  const before = await pop.locator('.pick-summary').innerText();
  // Tick a second touchpoint: the rule becomes a list, counted again.
  const second = pop.locator('input[type=checkbox][data-field=touchpoint]:not(:checked)').first();
  const value = await second.getAttribute('value');
  await second.check();
  await pop.locator('.pick-summary code', { hasText: ' in (' }).waitFor();
  const after = await pop.locator('.pick-summary').innerText();
  assert.notEqual(after, before);
  const shown = Number(after.match(/matches ([\d,]+) customers/)[1].replace(/,/g, ''));
  const rule = await pop.locator('.pick-summary code').innerText();
  const csrf = await ada.locator('meta[name=csrf-token]').getAttribute('content');
  const counted = await (await ada.context().request.post(`${server.base}/api/maps/${permit}/evidence/rule`, { headers: { 'x-csrf-token': csrf, origin: server.base }, data: { rule } })).json();
  assert.equal(shown, counted.customers);
  await shot(ada, '08-evidence-picked');
  await pop.locator('button[type=submit]').click();
  await ada.waitForFunction((v) => window.__live.getText().includes(v), value);
  const line = (await text(ada)).split('\n').find((l) => l.includes('evidence:') && l.includes(value));
  assert.ok(line && line.trim() === `evidence: ${rule}`, line);
  // Undo takes it back.
  await ada.click('#undo');
  await ada.waitForFunction((r) => !window.__live.getText().includes('evidence: ' + r), rule);
});

test('no script errors on either page', () => {
  assert.deepEqual(errors.filter((e) => !/status of 4\d\d/.test(e)), []);
});
