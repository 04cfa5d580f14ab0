// The log pages as an analyst uses them, in real headless Chromium: from the
// demo map's evidence to the log's overview, funnel (with a breakdown and
// the dropped customers' CSV), paths (click a node), process map
// (simplified, performance), variants (one opened as paths) and trends,
// with filters held in the URL. The figures on each page are checked
// against `cjm mine --format json` on the same log with the same filters:
// dates, window, where (one value and several), channel, segment, any
// order, strict, a breakdown and a comparison of two periods.
// Screenshots: e2e/screenshots/analytics-*.png at 1440 and 1024 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { launch, shots, repo, cjmBin } from './browser.mjs';
import { startServer, signUpAdmin } from './serve.mjs';

let server, browser, context, page, logBase;
const admin = { name: 'Ada Analyst', email: 'ada@example.com', password: 'correct horse battery' };
const errors = [];
const demoLog = join(repo, 'crates/cjm-server/assets/demo/receipt.parquet');

async function shot(name) {
  await page.screenshot({ path: join(shots, `analytics-${name}.png`), fullPage: false });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: join(shots, `analytics-${name}-1024.png`), fullPage: false });
  await page.setViewportSize({ width: 1440, height: 900 });
}

/// `cjm mine` on the demo log: its JSON report.
function mine(...args) {
  return JSON.parse(execFileSync(cjmBin(), ['mine', demoLog, '--format', 'json', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/// A table's body as rows of cell texts.
async function rows(selector) {
  return page.locator(`${selector} tbody tr`).evaluateAll((trs) => trs.map((tr) => Array.from(tr.cells, (c) => c.innerText.trim())));
}

const num = (t) => Number(String(t).split(' ')[0].replace(/,/g, ''));

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

test('the demo map links to its log, whose overview counts what cjm mine counts', async () => {
  await page.click('text=Applying for an environmental permit');
  await page.waitForURL(/\/m\/\d+$/);
  await page.click('nav.tabs >> text=Evidence');
  await page.click('text=Explore this log');
  await page.waitForURL(/\/w\/\d+\/logs\/\d+$/);
  logBase = page.url();
  const report = mine();
  const facts = await page.locator('dl.facts').innerText();
  assert.match(facts, new RegExp(`Events\\s+${report.summary.n_events.toLocaleString('en-US')}`));
  assert.match(facts, new RegExp(`Customers\\s+${report.summary.n_customers.toLocaleString('en-US')}`));
  const tps = await rows('table.touchpoints');
  assert.equal(tps.length, report.summary.touchpoints.length);
  for (const t of report.summary.touchpoints) {
    const row = tps.find((r) => r[0] === t.touchpoint);
    assert.ok(row, `touchpoint ${t.touchpoint} listed`);
    assert.equal(num(row[1]), t.events, t.touchpoint);
    assert.equal(num(row[2]), t.customers, t.touchpoint);
  }
  await shot('01-overview');
});

test('a funnel of three steps equals cjm mine --funnel, and downloads who dropped', async () => {
  const steps = ['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt'];
  await page.click('nav.tabs >> text=Funnel');
  for (const s of steps) {
    await page.locator('fieldset.steps input').last().fill(s);
    await page.click('form.log-view button[type=submit]');
    await page.waitForLoadState('load');
  }
  const report = mine('--funnel', steps.join(','));
  const table = await rows('table.funnel');
  assert.equal(table.length, 3);
  report.analysis.funnel.steps.forEach((s, i) => {
    assert.equal(num(table[i][1]), s.reached, s.touchpoint);
    assert.equal(table[i][2], `${(s.conversion * 100).toFixed(1)}%`, s.touchpoint);
  });
  assert.equal(await page.locator('.chart svg .funnel-step').count(), 3);
  assert.match(page.url(), /step=Confirmation/);
  await shot('02-funnel');
  const link = page.locator('table.funnel a[download]').first();
  if (await link.count()) {
    const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const csv = await (await dl.createReadStream()).toArray();
    const text = Buffer.concat(csv).toString('utf8');
    assert.match(text, /^dropped_before_step,step,customer_id\n/);
  }
  // The same funnel within a day, then broken down by channel when the log has one.
  await page.fill('input[name=window]', '1d');
  await page.click('form.log-view button[type=submit]');
  await page.waitForLoadState('load');
  const windowed = mine('--funnel', steps.join(','), '--window', '1d');
  const t2 = await rows('table.funnel');
  windowed.analysis.funnel.steps.forEach((s, i) => assert.equal(num(t2[i][1]), s.reached));
});

test('paths from the first event match cjm mine --paths-from; a node click re-anchors', async () => {
  await page.click('nav.tabs >> text=Paths');
  await page.locator('.chart svg .node').first().waitFor();
  await shot('03-paths');
  await page.selectOption('select[name=anchor]', 'from');
  await page.fill('input[name=at]', 'Confirmation of receipt');
  await page.click('form.log-view button[type=submit]');
  await page.waitForLoadState('load');
  const report = mine('--paths-from', 'Confirmation of receipt', '--depth', '3');
  const flows = await rows('table.flows');
  assert.equal(flows.length, report.paths.links.length);
  const sum = flows.reduce((a, r) => a + num(r[2]), 0);
  assert.equal(sum, report.paths.links.reduce((a, l) => a + l.customers, 0));
  // A touchpoint in the chart is a link to the paths after it.
  const node = page.locator('.chart svg a .node rect').nth(1);
  await node.click();
  await page.waitForLoadState('load');
  assert.match(page.url(), /anchor=from&at=/);
});

test('the process map simplifies and switches to median times', async () => {
  await page.goto(logBase + '/process');
  const all = mine();
  const full = await rows('table.transitions');
  assert.equal(full.length, all.summary.dfg.length);
  await page.goto(logBase + '/process?simplify=80');
  const main = mine('--simplify', '0.8');
  const kept = await rows('table.transitions');
  assert.equal(kept.length, main.main_flow.length);
  assert.ok(kept.length < full.length);
  await shot('04-process');
  await page.selectOption('select[name=measure]', 'performance');
  await page.click('form.log-view button[type=submit]');
  await page.waitForLoadState('load');
  assert.match(await page.locator('.chart svg').innerHTML(), /median time between/);
  await shot('05-process-performance');
});

test('variants equal cjm mine; one opens as paths of its customers only', async () => {
  await page.goto(logBase + '/variants');
  const report = mine('--top', '20');
  const table = await rows('table.variants');
  assert.equal(table.length, report.summary.top_variants.length);
  report.summary.top_variants.forEach((v, i) => {
    assert.equal(num(table[i][1]), v.count);
    assert.equal(table[i][4], v.sequence.join(' → '));
  });
  await shot('06-variants');
  await page.locator('table.variants a', { hasText: 'as paths' }).first().click();
  await page.waitForLoadState('load');
  assert.match(await page.locator('.chips').innerText(), /variant/);
  const flows = await rows('table.flows');
  const first = flows.filter((r) => r[0].startsWith('step 1:')).reduce((a, r) => a + num(r[2]), 0);
  assert.equal(first, report.summary.top_variants[0].count, 'only the variant\'s customers');
});

test('trends by month, and a date filter held in the URL equals cjm mine --from --to', async () => {
  await page.goto(logBase + '/trends?interval=month');
  await page.locator('table.trend').waitFor();
  await shot('07-trends');
  await page.goto(logBase);
  await page.fill('input[name=from]', '2011-01-01');
  await page.fill('input[name=to]', '2011-07-01');
  await page.click('form.filters button[type=submit]');
  await page.waitForLoadState('load');
  assert.match(page.url(), /from=2011-01-01&to=2011-07-01/);
  const report = mine('--from', '2011-01-01', '--to', '2011-07-01');
  const facts = await page.locator('dl.facts').innerText();
  assert.match(facts, new RegExp(`Customers\\s+${report.summary.n_customers.toLocaleString('en-US')}`));
  assert.match(await page.locator('.chips').innerText(), /from 2011-01-01/);
  // Every tab keeps the filter.
  await page.click('nav.tabs >> text=Variants');
  assert.match(page.url(), /from=2011-01-01/);
  await shot('08-filtered');
  // A chart downloads as PNG.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('.chart-downloads >> text=PNG')]);
  assert.match(dl.suggestedFilename(), /variants\.png/);
});

test('two periods compared side by side: each side equals cjm mine on its own period', async () => {
  const steps = ['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt'];
  await page.goto(logBase + '/funnel?' + steps.map((s) => 'step=' + encodeURIComponent(s)).join('&') + '&to=2011-07-01');
  await page.click('details.compare-form summary');
  await page.fill('input[name=from2]', '2011-07-01');
  await Promise.all([page.waitForURL(/from2=2011-07-01/), page.click('details.compare-form button[type=submit]')]);
  await page.locator('.compare-pair').waitFor();
  const a = mine('--funnel', steps.join(','), '--to', '2011-07-01');
  const b = mine('--funnel', steps.join(','), '--from', '2011-07-01');
  const ta = await rows('.compare-a table.funnel');
  const tb = await rows('.compare-b table.funnel');
  a.analysis.funnel.steps.forEach((s, i) => assert.equal(num(ta[i][1]), s.reached, 'A ' + s.touchpoint));
  b.analysis.funnel.steps.forEach((s, i) => assert.equal(num(tb[i][1]), s.reached, 'B ' + s.touchpoint));
  assert.match(await page.locator('.compare-b .compare-side').innerText(), /from 2011-07-01/);
  await page.locator('.compare-headline').scrollIntoViewIfNeeded();
  assert.match(await page.locator('.compare-headline').innerText(), /Converted, of all customers/);
  await shot('09-compare-periods');
  // Every tab keeps the comparison.
  await Promise.all([page.waitForURL(/\/variants\?.*from2=2011-07-01/), page.click('nav.tabs >> text=Variants')]);
  assert.equal(await page.locator('.compare-pair table.variants').count(), 2);
  await Promise.all([page.waitForURL((u) => !/from2=/.test(String(u))), page.click('text=Stop comparing')]);
  assert.equal(await page.locator('.compare-pair').count(), 0);
});

test('every filter and funnel choice equals cjm mine with the same flags: where, channel, segment, any order, strict, breakdown', async () => {
  const steps = ['Confirmation of receipt', 'T02 Check confirmation of receipt', 'T04 Determine confirmation of receipt'];
  const url = (view, extra) => `${logBase}/${view}?` + new URLSearchParams([...steps.map((s) => ['step', s]), ...extra]).toString();
  const reached = async () => (await rows('table.funnel')).map((r) => num(r[1]));
  const cases = [
    [[['where', 'org:group=Group 1']], ['--where', 'org:group=Group 1']],
    [[['channel', 'Internet']], ['--where', 'channel=Internet']],
    [[['order', 'any']], ['--funnel-any-order']],
    [[['order', 'strict']], ['--funnel-strict']],
    [[['where', 'org:group=Group 1,Group 2'], ['order', 'any']], ['--where', 'org:group=Group 1,Group 2', '--funnel-any-order']],
  ];
  for (const [params, flags] of cases) {
    await page.goto(url('funnel', params));
    const report = mine('--funnel', steps.join(','), ...flags);
    assert.deepEqual(await reached(), report.analysis.funnel.steps.map((s) => s.reached), JSON.stringify(params));
    // The variants page under the same filters counts the same customers.
    await page.goto(url('variants', params.filter(([k]) => k !== 'order')));
    const top = (await rows('table.variants')).slice(0, 3);
    assert.deepEqual(top.map((r) => [num(r[1]), r[4]]), report.summary.top_variants.slice(0, 3).map((v) => [v.count, v.sequence.join(' → ')]), `variants ${JSON.stringify(params)}`);
  }
  // A breakdown: each segment's row equals its part of cjm mine --by; the
  // segment filter alone gives the same funnel as that row.
  await page.goto(url('funnel', [['by', 'org:group']]));
  const by = mine('--funnel', steps.join(','), '--by', 'org:group').breakdown;
  const segs = await rows('table.breakdown');
  assert.ok(segs.length >= 5, `${segs.length} segments`);
  for (const row of segs) {
    const want = by[row[0]].analysis.funnel.steps.map((s) => s.reached);
    assert.deepEqual(row.slice(2).map((c) => num(c)), want, row[0]);
  }
  await page.goto(url('funnel', [['segment', `org:group=${segs[0][0]}`]]));
  assert.deepEqual(await reached(), by[segs[0][0]].analysis.funnel.steps.map((s) => s.reached), 'the segment alone');
  await shot('10-filters-and-options');
});

test('no script errors on any page', () => {
  assert.deepEqual(errors, []);
});
