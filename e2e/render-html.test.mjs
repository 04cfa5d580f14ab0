// The self-contained HTML a `cjm render map.cjm -o map.html` writes, used as
// a person would: hover and click steps, zoom, scroll with lane labels in view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, cjmBin, repo, shots } from './browser.mjs';

let browser;
let page;
const dir = mkdtempSync(join(tmpdir(), 'cjm-html-'));
const file = join(dir, 'ecommerce.html');

before(async () => {
  execFileSync(cjmBin(), ['render', join(repo, 'crates/cjm-model/templates/ecommerce.cjm'), '-o', file]);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // The file must work offline: fail the test on any network request.
  page.on('request', (r) => {
    if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) throw new Error(`network request: ${r.url()}`);
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(pathToFileURL(file).href);
  assert.deepEqual(errors, []);
});

after(async () => { await browser?.close(); });

test('hovering a step shows its details', async () => {
  const hit = page.locator('.step-hit[data-step="compare-models-on-the-site"]');
  await hit.scrollIntoViewIfNeeded();
  await hit.hover();
  const panel = page.locator('#details');
  await panel.waitFor({ state: 'visible' });
  const text = await panel.innerText();
  assert.match(text, /Compare models on the site/);
  assert.match(text, /battery life below the fold/);
  assert.match(text, /Merchandising curates/);
  await page.screenshot({ path: join(shots, 'html-hover.png') });
});

test('clicking pins the details; Escape closes them', async () => {
  const hit = page.locator('.step-hit[data-step="check-out"]');
  await hit.scrollIntoViewIfNeeded();
  await hit.click();
  await page.mouse.move(5, 5);
  const panel = page.locator('#details');
  assert.match(await panel.innerText(), /Check out[\s\S]*delivery date appears only after payment/);
  assert.equal(await hit.getAttribute('class'), 'step-hit selected');
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
});

test('zoom changes the drawing size', async () => {
  const svg = page.locator('#canvas > svg');
  const before = Number(await svg.getAttribute('width'));
  await page.click('[data-zoom="in"]');
  const after = Number(await svg.getAttribute('width'));
  assert.ok(Math.abs(after / before - 1.25) < 0.01, `${before} -> ${after}`);
  assert.equal(await page.locator('#zoom-level').innerText(), '125%');
  await page.click('[data-zoom="reset"]');
  assert.equal(Number(await svg.getAttribute('width')), before);
});

test('lane labels stay in view when the map scrolls sideways', async () => {
  await page.locator('#viewport').evaluate((v) => { v.scrollLeft = 900; v.scrollTop = 700; });
  const box = await page.locator('.sticky-labels').boundingBox();
  assert.ok(box.x >= 0 && box.x < 5, `labels at x=${box.x}`);
  await page.screenshot({ path: join(shots, 'html-scrolled.png') });
  await page.locator('#viewport').evaluate((v) => { v.scrollLeft = 0; v.scrollTop = 0; });
});

test('the print stylesheet hides the controls', async () => {
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.toolbar').isVisible(), false);
  await page.emulateMedia({ media: 'screen' });
});

// A map in every script: the SVG and the HTML carry the faces they use, cut
// to their characters, and the browser accepts every one (its font
// sanitizer refuses a malformed cut, and the text would fall back to
// whatever the machine has).
for (const ext of ['svg', 'html']) {
  test(`every embedded face loads in the browser (${ext})`, async () => {
    const out = join(dir, `multi-script.${ext}`);
    execFileSync(cjmBin(), ['render', join(repo, 'testdata/multi-script.cjm'), '-o', out]);
    const p = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const refused = [];
    p.on('console', (m) => { if (/font|OTS/i.test(m.text())) refused.push(m.text().slice(0, 200)); });
    await p.goto(pathToFileURL(out).href);
    const faces = await p.evaluate(async () => {
      await document.fonts.ready;
      const all = [...document.fonts];
      await Promise.allSettled(all.map((f) => f.load()));
      return all.map((f) => `${f.family.replaceAll('"', '')} ${f.weight} ${f.status}`);
    });
    assert.deepEqual(refused, []);
    for (const family of ['Inter', 'Noto Sans CJK JP', 'Noto Sans Arabic', 'Noto Sans Hebrew', 'Noto Sans Devanagari', 'Noto Sans Thai', 'Twemoji Mozilla']) {
      assert.ok(faces.some((f) => f.startsWith(family) && f.endsWith('loaded')), `${family}: ${faces.join(', ')}`);
    }
    assert.ok(faces.every((f) => f.endsWith('loaded')), faces.join(', '));
    await p.screenshot({ path: join(shots, `multi-script-${ext}.png`) });
    await p.close();
  });
}
