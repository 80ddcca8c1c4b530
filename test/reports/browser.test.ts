/**
 * The HTML reports in a real browser: Debian's Chromium, headless, driven by
 * playwright-core. Pages of real runs (journals under fixtures/) must load without a
 * console error, draw their charts, and show fault windows and action steps with
 * readable labels that stay inside the chart. Screenshots go to test/reports/screenshots/
 * (ignored by git) for a person to look at.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import { readJournal, writeRunOutputs } from '../../reports/write.ts';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'reports', 'fixtures');
const SHOTS = path.join(PACKAGE_ROOT, 'test', 'reports', 'screenshots');

let browser: Browser;
let outDir: string;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is needed (apt-get install chromium; .ci/run installs it)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless', '--disable-background-networking'] });
  outDir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-browser-'));
  const journals = await Promise.all(['L11', 'C2', 'L5'].map((id) => readJournal(path.join(FIXTURES, `${id}.journal.json`))));
  await writeRunOutputs(journals, outDir);
  await mkdir(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

/** Opens a report page and collects every console error and failed request while it loads. */
async function open(file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  await page.goto(`file://${path.join(outDir, file)}`);
  return { page, problems };
}

/** Every text label of the timeline with its box, and the box of the chart. */
async function timelineLabels(page: Page): Promise<{ labels: Array<{ text: string; left: number; right: number; top: number; bottom: number }>; chart: { left: number; right: number } }> {
  const svg = await page.locator('svg.timeline-chart').boundingBox();
  assert.ok(svg, 'the timeline chart is drawn');
  const labels = [];
  for (const label of await page.locator('svg.timeline-chart text.lane-label').all()) {
    const box = await label.boundingBox();
    assert.ok(box, 'a label is rendered');
    labels.push({ text: (await label.textContent()) ?? '', left: box.x, right: box.x + box.width, top: box.y, bottom: box.y + box.height });
  }
  return { labels, chart: { left: svg.x, right: svg.x + svg.width } };
}

function overlaps(a: { left: number; right: number; top: number; bottom: number }, b: typeof a): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

test('L11: loads without console errors; charts drawn; the outage band labelled; 503s shown as required, not as errors', async () => {
  const { page, problems } = await open('L11.html');
  try {
    assert.deepEqual(problems, []);
    const charts = await page.locator('svg.chart').count();
    assert.ok(charts >= 5, `timeline, two loads and two probes drawn (saw ${charts})`);
    assert.ok((await page.locator('svg.load-chart rect.bar-requests').count()) > 10, 'request bars drawn');
    assert.ok((await page.locator('svg.probe-chart circle.pt').count()) > 100, 'probe samples drawn');
    const band = page.locator('svg.timeline-chart rect.fault-band[data-step="db-down"]');
    assert.equal(await band.count(), 1);
    assert.ok(((await band.boundingBox())?.width ?? 0) > 20, 'the outage band is visible');
    assert.ok((await page.locator('svg.load-chart text.band-label', { hasText: 'db-down' }).count()) >= 1, 'bands are labelled on the charts');
    assert.ok((await page.locator('svg.load-chart rect.bar-expected').count()) >= 4, 'the required 503s are drawn as expected');
    assert.equal(await page.locator('svg.load-chart rect.bar-errors').count(), 0, 'no red error bars');
    const { labels, chart } = await timelineLabels(page);
    assert.equal(labels.length, 3);
    for (const label of labels) {
      assert.ok(label.left >= chart.left && label.right <= chart.right + 0.5, `"${label.text}" stays inside the chart (${label.left}–${label.right} in ${chart.left}–${chart.right})`);
    }
    for (const [i, a] of labels.entries()) for (const b of labels.slice(i + 1)) assert.ok(!overlaps(a, b), `"${a.text}" and "${b.text}" do not overlap`);
    await page.screenshot({ path: path.join(SHOTS, 'L11.png'), fullPage: true });
    await page.locator('#timeline').screenshot({ path: path.join(SHOTS, 'L11-timeline.png') });
  } finally {
    await page.close();
  }
});

test('L5: action steps are drawn and labelled with their outcome; whole-run faults named, not painted over every chart', async () => {
  const { page, problems } = await open('L5.html');
  try {
    assert.deepEqual(problems, []);
    const actions = page.locator('svg.timeline-chart rect.lane-action');
    assert.equal(await actions.count(), 3);
    // Evaluated in the page, where getComputedStyle exists (this file is compiled without the DOM types).
    const fill = await actions.first().evaluate('(el) => getComputedStyle(el).fill');
    assert.notEqual(fill, 'rgb(0, 0, 0)', 'action bars are not black');
    const { labels, chart } = await timelineLabels(page);
    for (const name of ['reminders-run', 'reminders-overlap', 'reminders-rerun']) {
      const label = labels.find((l) => l.text.startsWith(name));
      assert.ok(label, `${name} is labelled`);
      assert.match(label.text, /→ (ok|busy|skipped|failed)/, 'with its outcome');
      assert.ok(label.right <= chart.right + 0.5 && label.left >= chart.left);
    }
    for (const [i, a] of labels.entries()) for (const b of labels.slice(i + 1)) assert.ok(!overlaps(a, b), `"${a.text}" and "${b.text}" do not overlap`);
    assert.equal(await page.locator('svg.probe-chart rect.fault-band').count(), 0, 'the whole-run faults do not shade the probe charts');
    assert.match((await page.locator('#timeline .note').textContent()) ?? '', /In place for the whole run.*telegram-limits-x20/s);
    assert.ok((await page.locator('svg.probe-value-chart path.value-trace').count()) >= 4, 'value probes plot their values');
    assert.ok(await page.locator('#why').isVisible(), 'the failing page says why at the top');
    await page.screenshot({ path: path.join(SHOTS, 'L5.png'), fullPage: true });
    await page.locator('#timeline').screenshot({ path: path.join(SHOTS, 'L5-timeline.png') });
  } finally {
    await page.close();
  }
});

test('C2 and the index: no console errors; the untimed load says "not measured"', async () => {
  for (const file of ['C2.html', 'index.html']) {
    const { page, problems } = await open(file);
    try {
      assert.deepEqual(problems, [], file);
      if (file === 'C2.html') assert.ok((await page.getByText('not measured: this load does not time its replies').count()) >= 1);
      await page.screenshot({ path: path.join(SHOTS, file.replace('.html', '.png')), fullPage: true });
    } finally {
      await page.close();
    }
  }
});
