// The persona library as a CX lead uses it: add a persona with goals and a
// portrait, take it into a map with `use`, edit it once and see the map
// follow (its history naming the persona version each version drew), and
// hostile text shown as text. Screenshots at 1440 and 1024 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, shots } from './browser.mjs';
import { startServer, signUpAdmin } from './serve.mjs';

let server, browser, page, ws;
const admin = { name: 'Carla Lead', email: 'carla@example.com', password: 'correct horse battery' };
const errors = [];
const dialogs = [];

async function shot(name) {
  await page.screenshot({ path: join(shots, `personas-${name}.png`), fullPage: false });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: join(shots, `personas-${name}-1024.png`), fullPage: false });
  await page.setViewportSize({ width: 1440, height: 900 });
}

/// The JSON API from the page, with its session and CSRF token.
async function api(method, url, body) {
  return page.evaluate(async ([method, url, body]) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const res = await fetch(url, { method, headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body) });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, [method, url, body]);
}

/// A portrait drawn in the browser: a face-like disc on a gradient, as PNG.
async function portraitPng() {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 900; c.height = 700;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 900, 700);
    grad.addColorStop(0, '#fde68a'); grad.addColorStop(1, '#f472b6');
    g.fillStyle = grad; g.fillRect(0, 0, 900, 700);
    g.fillStyle = '#7c2d12'; g.beginPath(); g.arc(450, 330, 190, 0, Math.PI * 2); g.fill();
    g.fillStyle = '#fed7aa'; g.beginPath(); g.arc(450, 350, 150, 0, Math.PI * 2); g.fill();
    g.fillStyle = '#1f2937'; g.beginPath(); g.arc(395, 320, 16, 0, Math.PI * 2); g.arc(505, 320, 16, 0, Math.PI * 2); g.fill();
    g.strokeStyle = '#9a3412'; g.lineWidth = 10; g.beginPath(); g.arc(450, 380, 60, 0.15 * Math.PI, 0.85 * Math.PI); g.stroke();
    return c.toDataURL('image/png').split(',')[1];
  });
  return Buffer.from(b64, 'base64');
}

before(async () => {
  server = await startServer();
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.accept(); });
  ws = await signUpAdmin(page, server.setup, admin);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a persona is added with goals and a portrait', async () => {
  await Promise.all([page.waitForURL(/\/personas$/), page.click('a.button:has-text("Personas")')]);
  const form = page.locator('#new-persona form');
  await form.locator('input[name=name]').fill('Sam');
  await form.locator('input[name=segment]').fill('Busy professionals');
  await form.locator('textarea[name=description]').fill('34, buys on mobile between meetings');
  await form.locator('input[name=quote]').fill('I don\'t have time to read reviews');
  await form.locator('textarea[name=goals]').fill('Get a reliable laptop before Friday\nPay once, no surprises');
  await form.locator('textarea[name=pains]').fill('Forms that forget what I typed');
  await Promise.all([page.waitForEvent('load'), form.locator('button[type=submit]').click()]);
  const card = page.locator('li.persona-entry', { hasText: 'Sam' });
  await card.waitFor();
  assert.match(await card.innerText(), /Get a reliable laptop before Friday[\s\S]*Pay once, no surprises/);
  await card.locator('summary:has-text("Edit Sam")').click();
  await Promise.all([page.waitForEvent('load'), card.locator('input[type=file][data-portrait]').setInputFiles({ name: 'sam.png', mimeType: 'image/png', buffer: await portraitPng() })]);
  const img = page.locator('li.persona-entry img.portrait').first();
  await img.waitFor();
  await page.waitForFunction(() => { const i = document.querySelector('li.persona-entry img.portrait'); return i && i.complete && i.naturalWidth > 0; });
  const size = await img.evaluate((i) => [i.naturalWidth, i.naturalHeight]);
  assert.deepEqual(size, [512, 398], 'stored at most 512 px a side, aspect kept');
  assert.match(await page.locator('li.persona-entry', { hasText: 'Sam' }).innerText(), /Version 2/);
  await shot('01-library');
});

test('a map takes Sam from the library, and follows an edit', async () => {
  const maps = (await api('GET', `/api/workspaces/${ws}/maps`)).body;
  const permit = maps.find((m) => m.title.startsWith('Applying for an environmental permit'));
  const map = (await api('GET', `/api/maps/${permit.id}`)).body;
  const source = map.source
    .replace(/\n  persona /, '\n  use Sam from personas.cjm\n  persona ')
    .replace(/(\n {4}[^\n:]+: \d)(: ?)?([^\n]*)/, (all, head, colon, actors) => `${head}: ${actors ? actors + ', ' : ''}Sam`);
  const saved = await api('PUT', `/api/maps/${permit.id}/source`, { source, base_version: permit.head, message: 'Sam from the library' });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  await page.goto(new URL(`/m/${permit.id}`, server.base).href);
  assert.match(await page.locator('#from-library').innerText(), /From the persona library: Sam/);
  const portraits = await page.locator('.viewport svg image').evaluateAll((is) => is.map((i) => i.getAttribute('href').slice(0, 23)));
  assert.ok(portraits.includes('data:image/jpeg;base64,'), 'the map draws the portrait');
  await page.locator('.viewport svg image').first().scrollIntoViewIfNeeded();
  await shot('02-map-with-library-persona');

  // Edit Sam once, in the library.
  await page.goto(new URL(`/w/${ws}/personas`, server.base).href);
  const card = page.locator('li.persona-entry', { hasText: 'Sam' });
  assert.match(await card.locator('.used-by').innerText(), /Taken by 1 map/);
  await card.locator('summary:has-text("Edit Sam")').click();
  const edit = card.locator('form.persona-form');
  await edit.locator('textarea[name=description]').fill('35, a parent now; buys on mobile after bedtime');
  await edit.locator('input[name=message]').fill('Sam became a parent');
  await Promise.all([page.waitForEvent('load'), edit.locator('button[type=submit]').click()]);
  assert.match(await page.locator('li.persona-entry', { hasText: 'Sam' }).innerText(), /a parent now/);
  await page.goto(new URL(`/m/${permit.id}/history`, server.base).href);
  const rows = await page.locator('table.history tbody tr').allInnerTexts();
  assert.match(rows[0], /Sam updated in the persona library \(version 3\)[\s\S]*Drew from the persona library: Sam v3/);
  assert.match(rows[1], /Sam from the library[\s\S]*Sam v2/);
  await shot('03-history');
  // Editing on the map, Sam's card says where Sam is edited.
  await page.goto(new URL(`/m/${permit.id}/edit#map`, server.base).href);
  await page.locator('#preview .persona[data-persona="Sam"]').click();
  const pop = page.locator('.map-pop');
  await pop.waitFor();
  assert.match(await pop.innerText(), /Sam comes from the persona library; edit it there/);
  assert.equal(await pop.locator(`a[href="/w/${ws}/personas"]`).count(), 1);
  await page.keyboard.press('Escape');
  const old = (await api('GET', `/api/maps/${permit.id}/download/json?version=${permit.head + 1}`)).body;
  assert.equal(old.personas.find((p) => p.name === 'Sam').description, '34, buys on mobile between meetings', 'the older version draws the older Sam');
});

test('hostile text in a persona stays text', async () => {
  const evil = '<img src=x onerror=alert(1)> "quoted" \u202Eevil 日本語 😀';
  const made = await api('POST', `/api/workspaces/${ws}/personas`, { name: 'Zoë 日本', description: evil, needs: [evil], segment: '<b>bold?</b>' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  await page.goto(new URL(`/w/${ws}/personas`, server.base).href);
  const card = page.locator('li.persona-entry', { hasText: 'Zoë 日本' });
  assert.ok((await card.innerText()).includes('<img src=x onerror=alert(1)>'), 'shown as text');
  assert.equal(await card.locator('img:not(.portrait), b').count(), 0);
  await page.locator('li.persona-entry', { hasText: 'Sam' }).locator('summary:has-text("Edit Sam")').click();
  await shot('04-library-editing');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
});
