/**
 * The outputs of `chaosctl prove`: one page and one JUnit document whose test cases are
 * the sabotage switches. A caught switch is a passed case, a missed one a failure, and a
 * proof that could not be judged an error, so CI goes red only when a proof fails.
 */
import { formatMs } from '../cli/core/duration.ts';
import type { Journal } from '../cli/core/journal.ts';
import { proofSummary, type ProofRow } from '../cli/core/proof.ts';
import { escapeMarkup as esc } from './escape.ts';
import { formatTimestamp, page, relativeHref, renderTable, statusBadge } from './html.ts';
import { renderSuites, type JunitCase, type JunitSuite } from './junit.ts';

/** One run behind a proof row, and where its report is, relative to the proof page. */
export interface ProofRun {
  journal: Journal;
  href: string;
}

/** A proof row with the two runs it was judged on (absent when the scenario declares no switch). */
export interface ProofEntry {
  row: ProofRow;
  title: string;
  healthy?: ProofRun;
  sabotaged?: ProofRun;
}

const OUTCOME_LABEL: Record<ProofRow['outcome'], string> = {
  caught: 'caught',
  'not-caught': 'not caught',
  'baseline-failed': 'healthy run failed',
  inconclusive: 'inconclusive',
  'no-sabotage-declared': 'no switch listed',
};

/** The case for one switch: caught passes, not caught fails, a proof that could not be judged is an error. */
function proofCase(entry: ProofEntry): JunitCase {
  const { row, healthy, sabotaged } = entry;
  const name = `${row.scenario} ${row.sabotage ?? 'no-switch'}`;
  const body = evidenceLines(entry).join('\n');
  const testCase: JunitCase = {
    classname: `chaosctl.prove.${row.scenario}`,
    name,
    timeSeconds: ((healthy?.journal.durationMs ?? 0) + (sabotaged?.journal.durationMs ?? 0)) / 1000,
    systemOut: body,
  };
  if (row.outcome === 'caught') return testCase;
  const kind = row.outcome === 'not-caught' || row.outcome === 'no-sabotage-declared' ? 'failure' : 'error';
  return { ...testCase, problem: { kind, type: row.outcome, message: `${OUTCOME_LABEL[row.outcome]}: ${row.detail}`, body } };
}

/** Both runs' verdicts, what failed in the sabotaged one, and the links to their reports. */
function evidenceLines(entry: ProofEntry): string[] {
  const lines = [`switch: ${entry.row.sabotage ?? '—'}`, `outcome: ${OUTCOME_LABEL[entry.row.outcome]} (${entry.row.detail})`];
  if (entry.healthy) lines.push(`healthy run: ${entry.healthy.journal.status} in ${formatMs(entry.healthy.journal.durationMs)} — ${entry.healthy.href}`);
  if (entry.sabotaged) {
    const journal = entry.sabotaged.journal;
    lines.push(`sabotaged run: ${journal.status} in ${formatMs(journal.durationMs)} — ${entry.sabotaged.href}`);
    for (const failed of journal.expectations.filter((e) => !e.passed)) lines.push(`  failed ${failed.id}: ${failed.assertion} — observed ${failed.observed}`);
  }
  return lines;
}

/** The proof as JUnit: one suite per scenario, one case per switch. */
export function renderProveJunit(entries: ProofEntry[]): string {
  const byScenario = new Map<string, ProofEntry[]>();
  for (const entry of entries) byScenario.set(entry.row.scenario, [...(byScenario.get(entry.row.scenario) ?? []), entry]);
  const suites: JunitSuite[] = [...byScenario.entries()].map(([id, group]) => {
    const cases = group.map(proofCase);
    const started = group.flatMap((e) => [e.healthy?.journal.startedAt, e.sabotaged?.journal.startedAt]).filter((t): t is string => t !== undefined).sort()[0];
    return {
      name: `prove ${id}: ${group[0]?.title ?? id}`,
      timestamp: started === undefined ? new Date(0).toISOString() : new Date(Date.parse(started)).toISOString(),
      timeSeconds: cases.reduce((sum, c) => sum + c.timeSeconds, 0),
      properties: [['switches', group.map((e) => e.row.sabotage ?? '—').join(', ')]],
      cases,
      systemOut: '',
    };
  });
  return renderSuites(suites);
}

/** The proof page: the verdict at the top, then one row per switch with both runs linked. */
export function renderProveHtml(entries: ProofEntry[]): string {
  const summary = proofSummary(entries.map((e) => e.row));
  const status = summary.allCaught ? 'passed' : summary.inconclusive ? 'error' : 'failed';
  const missed = entries.filter((e) => e.row.outcome !== 'caught');
  const headline = summary.allCaught
    ? `Every switch was caught: ${summary.caught} of ${summary.total}`
    : `${summary.total - summary.caught} of ${summary.total} switch${summary.total === 1 ? '' : 'es'} not proved`;
  const why = missed.length === 0 ? '' : `<div class="reason status-${status}"><b>Not proved:</b> ${missed.map((e) => `${esc(e.row.scenario)} ${esc(e.row.sabotage ?? '(no switch)')} — ${esc(OUTCOME_LABEL[e.row.outcome])}`).join('; ')}</div>`;
  const started = entries.flatMap((e) => [e.healthy?.journal.startedAt, e.sabotaged?.journal.startedAt]).filter((t): t is string => t !== undefined).sort()[0];
  const header = `<header class="hero status-${status}">
<div class="eyebrow">chaosctl · prove</div>
<div class="title-row"><h1>${esc(headline)}</h1>${statusBadge(status, true)}</div>
<p class="description">A switch is caught when the scenario passes against the healthy target and fails with the switch on. Each row links both runs' reports.</p>
<div class="meta"><span>Scenarios <b>${summary.scenariosCaught} / ${summary.scenarios}</b> caught every switch they list</span>${started === undefined ? '' : `<span>Started <b>${esc(formatTimestamp(started))}</b></span>`}</div>
${why}
</header>`;
  const rows = entries.map((entry) => ({
    className: entry.row.outcome === 'caught' ? undefined : 'row-failed',
    cells: [
      `<b>${esc(entry.row.scenario)}</b> <span class="muted">${esc(entry.title)}</span>`,
      entry.row.sabotage === null ? '<span class="muted">—</span>' : `<code>${esc(entry.row.sabotage)}</code>`,
      `<span class="badge badge-${entry.row.outcome === 'caught' ? 'passed' : 'failed'}">${esc(OUTCOME_LABEL[entry.row.outcome])}</span>`,
      esc(entry.row.detail),
      runLink(entry.healthy),
      runLink(entry.sabotaged),
    ],
  }));
  const table = renderTable(
    [{ label: 'Scenario' }, { label: 'Switch' }, { label: 'Outcome' }, { label: 'Caught by / why' }, { label: 'Healthy run' }, { label: 'Sabotaged run' }],
    rows,
    'No scenario was proved.',
  );
  return page(`chaosctl prove · ${summary.caught}/${summary.total} caught`, `${header}\n<section id="proof"><h2>Switches</h2>${table}</section>`);
}

function runLink(run: ProofRun | undefined): string {
  if (!run) return '<span class="muted">—</span>';
  return `<a href="${esc(relativeHref(run.href))}">${statusBadge(run.journal.status)} ${esc(formatMs(run.journal.durationMs))}</a>`;
}
