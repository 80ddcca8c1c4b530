import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Journal } from '../../cli/core/journal.ts';
import {
  CHART_WIDTH,
  PLOT_LEFT,
  PLOT_RIGHT,
  clockExtentMs,
  clockScale,
  clockTicksMs,
  latencyAxis,
  linePath,
  linearScale,
  logScale,
  niceTicks,
  sampleClass,
} from '../../reports/chart.ts';
import { CORRECTED_LATENCY_NOTE, relativeHref, renderHtml, renderIndexHtml } from '../../reports/html.ts';
import { buildEmptyJournal, buildHostileJournal, buildJournal } from './journal-fixture.ts';
import { checkMarkup, forbiddenChars, startTags } from './markup-check.ts';

/** Values of src/href-like attributes, wherever they appear. */
function linkTargets(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href|xlink:href|action|poster|srcset|data)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? '',
  );
}

function assertSelfContained(html: string): void {
  for (const target of linkTargets(html)) {
    assert.doesNotMatch(target, /^\s*(?:[a-z][a-z0-9+.-]*:|\/\/)/i, `link with a scheme or host: ${target}`);
  }
  assert.doesNotMatch(html, /https?:\/\/[^\s"'<]*\.(?:css|js|png|svg|woff2?)/i);
  assert.doesNotMatch(html, /<script|<link|<iframe|<img|@import|url\(/i);
}

function svgCount(html: string): number {
  return html.match(/<svg[\s>]/g)?.length ?? 0;
}

/** Every shaded band of a fault step, as numbers. */
function bands(html: string, step: string): Array<{ x: number; width: number; className: string }> {
  return startTags(html, 'rect')
    .filter((r) => r['data-step'] === step && (r.class ?? '').includes('fault-band'))
    .map((r) => ({ x: Number(r.x), width: Number(r.width), className: r.class ?? '' }));
}

test('a passed report: header, status badge, every expectation, well-formed, no sabotage banner', () => {
  const journal = buildJournal('passed');
  const html = renderHtml(journal);
  assert.deepEqual(checkMarkup(html, 'html'), []);
  assert.match(html, /^<!doctype html>/);
  assert.match(html, /<span class="scenario-id">C1<\/span> · PostgreSQL outage: health degrades and recovers/);
  assert.match(html, /<span class="badge badge-passed badge-lg">passed<\/span>/);
  assert.doesNotMatch(html, /class="sabotage"/);
  for (const expectation of journal.expectations) assert.ok(html.includes(expectation.observed), expectation.id);
  assert.equal(html.match(/<tr class="row-failed">/g)?.length ?? 0, 0);
});

test('a failed report: reason, failed rows marked, and the sabotage switches up front', () => {
  const journal = buildJournal('failed');
  const html = renderHtml(journal);
  assert.deepEqual(checkMarkup(html, 'html'), []);
  assert.match(html, /badge-failed badge-lg">failed</);
  assert.ok(html.includes(`<b>Why failed:</b> ${journal.reason ?? ''}`));
  const failedRows = journal.expectations.filter((e) => !e.passed).length;
  assert.equal(html.match(/<tr class="row-failed"><td><span class="badge badge-failed">fail/g)?.length, failedRows);
  const banner = html.indexOf('class="sabotage"');
  assert.ok(banner > 0, 'a sabotage banner');
  assert.ok(banner < html.indexOf('id="expectations"'), 'the banner comes before the results');
  assert.ok(html.slice(banner, html.indexOf('</section>', banner)).includes('hang-on-db-error'));
});

test('the report is self-contained: no scripts, no external resources, a restrictive CSP', () => {
  for (const journal of [buildJournal('passed'), buildJournal('failed'), buildHostileJournal(), buildEmptyJournal()]) {
    const html = renderHtml(journal);
    assertSelfContained(html);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    assert.match(html, /<style>/);
  }
});

test('one <svg> per chart: the timeline, each load, each probe', () => {
  const journal = buildJournal('passed');
  assert.equal(svgCount(renderHtml(journal)), 1 + journal.loads.length + journal.probes.length);
  const load = journal.loads[0];
  const probe = journal.probes[0];
  assert.ok(load && probe);
  const more: Journal = {
    ...journal,
    loads: [load, { ...load, step: 'webhook-load' }],
    probes: [probe, { ...probe, name: 'ready' }, { ...probe, name: 'db', samples: [] }],
  };
  assert.equal(svgCount(renderHtml(more)), 1 + 2 + 3);
});

test('the clock scale maps the timeline onto the plot area', () => {
  const x = clockScale(20_000);
  assert.equal(x(0), PLOT_LEFT);
  assert.equal(x(20_000), CHART_WIDTH - PLOT_RIGHT);
  assert.equal(x(10_000), PLOT_LEFT + (CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT) / 2);
  // The load ended 4 ms after the 20 s timeline; the clock stretches to show it.
  assert.equal(clockExtentMs(buildJournal('passed')), 20_004);
  assert.equal(clockExtentMs(buildEmptyJournal()), 1000);
});

test('fault bands sit at the fault window in every chart, from injection to revert', () => {
  const journal = buildJournal('failed');
  const fault = journal.faults[0];
  assert.ok(fault && fault.injectedMs !== null && fault.revertedMs !== null);
  const x = clockScale(clockExtentMs(journal));
  const expectedX = x(fault.injectedMs);
  const expectedWidth = x(fault.revertedMs) - x(fault.injectedMs);
  // 6012 ms of a 20.004 s clock on an 876-px plot that starts at 64.
  assert.ok(Math.abs(expectedX - (64 + (6012 / 20_004) * 876)) < 1e-9);
  const found = bands(renderHtml(journal), 'db-down');
  assert.equal(found.length, 4, 'timeline, two load panels, one probe');
  for (const band of found) {
    assert.ok(Math.abs(band.x - expectedX) <= 0.05, `x ${band.x} vs ${expectedX}`);
    assert.ok(Math.abs(band.width - expectedWidth) <= 0.1, `width ${band.width} vs ${expectedWidth}`);
    assert.equal(band.className, 'fault-band');
  }
});

test('a fault never reverted is shaded to the end of the clock and marked open; a failed injection is not shaded', () => {
  const base = buildJournal('passed');
  const fault = base.faults[0];
  assert.ok(fault);
  const journal: Journal = {
    ...base,
    faults: [
      { ...fault, revertStartedMs: null, revertedMs: null, revertError: 'proxy gone' },
      { ...fault, step: 'never-in', injectedMs: null, revertStartedMs: null, revertedMs: null, injectError: 'proxy unknown' },
    ],
  };
  const html = renderHtml(journal);
  assert.deepEqual(checkMarkup(html, 'html'), []);
  const x = clockScale(clockExtentMs(journal));
  for (const band of bands(html, 'db-down')) {
    assert.equal(band.className, 'fault-band fault-open');
    assert.ok(Math.abs(band.x + band.width - x(clockExtentMs(journal))) <= 0.1);
  }
  assert.equal(bands(html, 'never-in').length, 0);
  assert.match(html, /inject: proxy unknown/);
  assert.match(html, /<b>not reverted<\/b>|revert: proxy gone/);
});

test('probe samples are coloured by status class', () => {
  const html = renderHtml(buildJournal('failed'));
  assert.ok((html.match(/class="pt pt-ok"/g)?.length ?? 0) > 0);
  assert.ok((html.match(/class="pt pt-none"/g)?.length ?? 0) > 0, 'timeouts are drawn');
  assert.equal(sampleClass({ tMs: 0, ok: true, status: 204, latencyMs: 1 }), 'ok');
  assert.equal(sampleClass({ tMs: 0, ok: false, status: 503, latencyMs: 1 }), 'server');
  assert.equal(sampleClass({ tMs: 0, ok: false, status: 404, latencyMs: 1 }), 'other');
  assert.equal(sampleClass({ tMs: 0, ok: false, status: null, latencyMs: 2000, error: 'timeout' }), 'none');
});

test('each load has both latency columns and the sentence explaining the corrected one', () => {
  const journal = buildJournal('failed');
  const html = renderHtml(journal);
  assert.equal(html.split(CORRECTED_LATENCY_NOTE.replace(/'/g, '&#39;')).length - 1, journal.loads.length);
  assert.match(html, /<th class="num">As measured<\/th><th class="num">Corrected<\/th>/);
  for (const label of ['p50', 'p90', 'p95', 'p99', 'max']) assert.match(html, new RegExp(`<td>${label}</td>`));
});

test('hostile strings are escaped in every section', () => {
  const html = renderHtml(buildHostileJournal());
  assert.deepEqual(checkMarkup(html, 'html'), []);
  assert.doesNotMatch(html, /<script/i);
  assert.deepEqual(forbiddenChars(html), []);
  const escaped = '&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; &#39;q&#39;';
  const sections = ['<title>', 'class="hero', 'class="sabotage"', 'id="expectations"', 'id="timeline"', 'id="loads"', 'id="probes"', 'id="steady-state"', 'id="environment"', 'id="events"'];
  const starts = sections.map((marker) => html.indexOf(marker));
  starts.forEach((start, i) => {
    assert.ok(start >= 0, `missing ${sections[i] ?? ''}`);
    const end = starts.filter((s) => s > start).sort((a, b) => a - b)[0] ?? html.length;
    assert.ok(html.slice(start, end).includes(escaped), `hostile text not shown escaped in ${sections[i] ?? ''}`);
  });
});

test('an empty journal renders: no loads, no probes, no steps, no samples', () => {
  const journal = buildEmptyJournal();
  const html = renderHtml(journal);
  assert.deepEqual(checkMarkup(html, 'html'), []);
  assert.equal(svgCount(html), 1);
  assert.match(html, /This scenario ran no load\./);
  assert.match(html, /This scenario has no probes\./);
  assert.match(html, /no timeline steps ran/);
  assert.match(html, /No expectation was evaluated\./);
  assert.match(html, /badge-error badge-lg">error</);
  assert.doesNotMatch(html, /NaN|Infinity|undefined|null/);
});

test('a load without series and a probe without samples render empty charts', () => {
  const base = buildJournal('passed');
  const load = base.loads[0];
  const probe = base.probes[0];
  assert.ok(load && probe);
  const zero = { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const journal: Journal = {
    ...base,
    loads: [{ ...load, requests: 0, errors: 0, statusCounts: {}, series: [], latency: zero, correctedLatency: zero, achievedRate: 0 }],
    probes: [{ ...probe, samples: [] }],
    events: [],
  };
  const html = renderHtml(journal);
  assert.deepEqual(checkMarkup(html, 'html'), []);
  assert.equal(svgCount(html), 3);
  assert.match(html, /no per-second data/);
  assert.match(html, /no samples were taken/);
  assert.match(html, /No events were logged\./);
  assert.doesNotMatch(html, /NaN|Infinity|undefined/);
});

test('the index lists each scenario with status, duration and counts, linking relatively', () => {
  const entries = [
    { journal: buildJournal('passed'), htmlFile: 'C1.html' },
    { journal: { ...buildJournal('failed'), scenario: { ...buildJournal('failed').scenario, id: 'C2' } }, htmlFile: 'C2.html' },
    { journal: buildEmptyJournal(), htmlFile: 'https://evil.example/x.html' },
    { journal: buildHostileJournal(), htmlFile: 'javascript:alert(1)' },
  ];
  const html = renderIndexHtml(entries);
  assert.deepEqual(checkMarkup(html, 'html'), []);
  assertSelfContained(html);
  const hrefs = startTags(html, 'a').map((a) => a.href);
  assert.deepEqual(hrefs, ['C1.html', 'C2.html', 'https%3A/evil.example/x.html', 'javascript%3Aalert(1)']);
  assert.match(html, /<h1>4 scenarios<\/h1><span class="badge badge-error badge-lg">error<\/span>/);
  assert.match(html, /24\.4 s/);
  assert.match(html, /<td class="num"><b class="value bad">4<\/b><\/td>/);
  const sabotagedRows = html.split('<tr').filter((row) => row.includes('chip sabotaged'));
  assert.equal(sabotagedRows.length, entries.filter((e) => e.journal.environment.sabotage.length > 0).length, 'the index marks each sabotaged run');
  assert.ok(sabotagedRows.length > 0);
  assert.doesNotMatch(html, /<script/);
  assert.equal(svgCount(html), 0);
});

test('relativeHref keeps plain relative paths and neutralises schemes and absolute paths', () => {
  assert.equal(relativeHref('C1.html'), 'C1.html');
  assert.equal(relativeHref('./runs/C1 copy.html'), 'runs/C1%20copy.html');
  assert.equal(relativeHref('/etc/passwd'), 'etc/passwd');
  assert.equal(relativeHref('//evil.example/x'), 'evil.example/x');
});

test('chart helpers: scales, ticks and paths', () => {
  assert.equal(linearScale([0, 10], [100, 0])(2.5), 75);
  assert.equal(linearScale([5, 5], [1, 9])(5), 1, 'a zero-width domain does not divide by zero');
  const log = logScale([1, 1000], [0, 300]);
  assert.equal(log(10), 100);
  assert.equal(log(0), 0, 'clamped to the domain');
  assert.deepEqual(niceTicks(47), [0, 20, 40, 60]);
  assert.deepEqual(niceTicks(0), [0, 0.5, 1]);
  assert.deepEqual(clockTicksMs(20_000), [0, 5000, 10_000, 15_000, 20_000]);
  assert.deepEqual(clockTicksMs(600_000), [0, 120_000, 240_000, 360_000, 480_000, 600_000]);
  assert.equal(linePath([[0, 1], [2.04, 3], null, [5, 6], [7, 8]]), 'M0 1 L2 3 M5 6 L7 8');
  assert.equal(latencyAxis([2, 3, 2000], [200, 0]).log, true, 'fast answers next to timeouts use a log axis');
  assert.equal(latencyAxis([2, 3, 9], [200, 0]).log, false);
  assert.equal(latencyAxis([], [200, 0]).log, false);
});

test('an errored docker-mode run shows each container\'s last lines, escaped; the fault rows name the container operation', () => {
  const journal: Journal = {
    ...buildJournal('failed'),
    status: 'error',
    stackLogs: { 'chaosctl-1a2b3c4d-postgres': 'FATAL:  the database system is shutting down <b>x</b>', 'chaosctl-1a2b3c4d-target': '' },
  };
  const fault = journal.faults[0];
  assert.ok(fault, 'the fixture has a fault');
  fault.injectDetail = 'container chaosctl-1a2b3c4d-postgres: docker stop at 2026-12-04T18:51:43.849Z';
  const html = renderHtml(journal);
  assert.deepEqual(checkMarkup(html, 'html'), []);
  assert.match(html, /<section id="stack-logs">/);
  assert.match(html, /<h3>chaosctl-1a2b3c4d-postgres<\/h3><pre>FATAL: {2}the database system is shutting down &lt;b&gt;x&lt;\/b&gt;<\/pre>/);
  assert.match(html, /<h3>chaosctl-1a2b3c4d-target<\/h3><pre>\(no output\)<\/pre>/);
  assert.match(html, /container chaosctl-1a2b3c4d-postgres: docker stop at 2026-12-04T18:51:43\.849Z/);
  assert.doesNotMatch(renderHtml(buildJournal('failed')), /stack-logs/, 'no section when the run kept no logs');
});
