/**
 * Writes docs/target-trace.md: for every seed row, the places in target/ whose
 * comments name it, the tests whose titles name it, the scenarios that cover
 * it and the sabotage switches those scenarios catch. Nothing in it is typed
 * by hand, so it cannot drift from the tree: `npm run trace` rewrites it, and
 * test/scenarios/catalogue.test.ts fails when the file on disk differs.
 *
 * A row is named by its seed id as a whole token: "L1" (not inside "L10"),
 * "C7/L9", "§7.4". In code, a comment right above a declaration names that
 * declaration; any other comment names its file.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isEntryPoint } from './entry-point.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { loadCatalogue, SEED_ROWS } from './write-clauses.ts';
import type { Scenario } from '../drivers/registry.ts';

export const TRACE_FILE = path.join(PACKAGE_ROOT, 'docs', 'target-trace.md');

/** The rows of §3–§7 that SEED_ROWS (L, C, B3, B4) leaves out, worded as the seed words them. */
const MORE_ROWS: ReadonlyArray<readonly [string, string]> = [
  ['B1', 'DB connection pool (5+10) · with 20+ concurrent handlers — waiting for a connection · raise pool_size to 10, max_overflow to 20. Monitor pool status.'],
  ['B2', 'Single event loop · health check + polling + scheduler + HTTP all in one loop · move health to a separate process or use a lightweight check.'],
  ['B5', 'Analytics SQL — heavy COUNT/DISTINCT · blocks other queries on large tables · run hourly. Consider materialized views.'],
  ['B6', 'Payment provider API · a network call · retry 3x with exponential backoff.'],
  ['B7', 'NotificationService send_message · on 429 — crash · retry using retry_after.'],
  ['B8', 'long polling · under heavy load — delays receiving updates · consider webhook mode for high-load bots.'],
  ['§3', 'Expected system behaviour on failure and recovery: DB, scheduler, bot, payment provider, webhook, notification.'],
  ['§4', 'Admin alerts: DB down (critical, 5 min), scheduler stop (warning, 15 min), bot unreachable (critical, 5 min), DB recovered (info), webhook verify fail.'],
  ['§6', 'Retry and backoff: YooKassa and CryptoBot create_payment, send_message on 429, no retry in process_webhook, DB session, init_db at startup.'],
  ['§7.1', 'DB: bigger pool, statement_timeout against long queries.'],
  ['§7.2', 'Payments: retry for create_payment in every provider.'],
  ['§7.3', 'Notifications: retry on 429, mark is_blocked on Forbidden.'],
  ['§7.4', 'Health: when the DB fails — a fast 503, no long hang.'],
  ['§7.5', 'Logging: structured (JSON) logs.'],
  ['§7.6', 'Metrics: Prometheus metrics (request count, latency, errors).'],
  ['§7.7', 'Webhook alerts: admin alert when verification fails.'],
];

const ORDER = (id: string): string => {
  const m = /^(§?)([A-Z]?)(\d+)(?:\.(\d+))?$/.exec(id);
  if (!m) return id;
  const group = m[1] ? 3 : m[2] === 'L' ? 0 : m[2] === 'C' ? 1 : 2;
  return `${group}${(m[2] ?? '').padEnd(1)}${(m[3] ?? '').padStart(3, '0')}${(m[4] ?? '').padStart(3, '0')}`;
};

/** Every row the trace lists: the seed's L, C and B rows, then §3, §4, §6 and §7's items. */
export const TRACE_ROWS: ReadonlyArray<readonly [string, string]> = [...SEED_ROWS, ...MORE_ROWS].sort((a, b) => ORDER(a[0]).localeCompare(ORDER(b[0])));

/** Whether `text` names `row` as a whole token ("L1" is not in "L10", "C1" is not in "C1B", "§7" is not "§7.4"). */
export function namesRow(text: string, row: string): boolean {
  const escaped = row.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![A-Za-z0-9§.])${escaped}(?![A-Za-z0-9]|\\.\\d)`).test(text);
}

export interface TestTitle {
  file: string;
  title: string;
}

/** The literal titles of `test(...)` calls in a test file's text. */
export function testTitles(file: string, text: string): TestTitle[] {
  const titles: TestTitle[] = [];
  for (const m of text.matchAll(/\btest\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)) {
    titles.push({ file, title: (m[2] ?? '').replace(/\\(['"`\\])/g, '$1') });
  }
  return titles;
}

export interface CodePlace {
  file: string;
  /** The declaration a comment sits right above, or null for the file as a whole. */
  name: string | null;
  /** The comment's text, to find row ids in. */
  comment: string;
}

const DECLARATION = /^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/;

/** Each comment of a source file, attached to the declaration right below it when there is one. */
export function commentPlaces(file: string, text: string): CodePlace[] {
  const lines = text.split('\n');
  const places: CodePlace[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const trimmed = line.trim();
    let comment = '';
    let end = i;
    if (trimmed.startsWith('/*')) {
      while (end < lines.length && !(lines[end] ?? '').includes('*/')) end += 1;
      comment = lines.slice(i, end + 1).join('\n');
    } else if (trimmed.startsWith('//')) {
      while (end + 1 < lines.length && (lines[end + 1] ?? '').trim().startsWith('//')) end += 1;
      comment = lines.slice(i, end + 1).join('\n');
    } else {
      // A comment at the end of a code line names the file.
      const tail = line.indexOf('//');
      if (tail > 0) places.push({ file, name: null, comment: line.slice(tail) });
      i += 1;
      continue;
    }
    const next = DECLARATION.exec(lines[end + 1] ?? '');
    places.push({ file, name: next?.[1] ?? null, comment });
    i = end + 1;
  }
  return places;
}

function walk(dir: string, keep: (file: string) => boolean): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...walk(full, keep));
    else if (keep(full)) found.push(full);
  }
  return found.sort();
}

export interface TraceSources {
  code: CodePlace[];
  tests: TestTitle[];
  scenarios: readonly Scenario[];
}

/** The tree as the trace reads it: target/ without the simulators (not the bot), every test file, the catalogue. */
export function readSources(root: string = PACKAGE_ROOT): TraceSources {
  const rel = (file: string): string => path.relative(root, file).split(path.sep).join('/');
  const targetDir = path.join(root, 'target');
  const code = walk(targetDir, (f) => f.endsWith('.ts') && !rel(f).startsWith('target/sims/')).flatMap((f) => commentPlaces(rel(f), readFileSync(f, 'utf8')));
  const tests = walk(path.join(root, 'test'), (f) => f.endsWith('.test.ts')).flatMap((f) => testTitles(rel(f), readFileSync(f, 'utf8')));
  return { code, tests, scenarios: loadCatalogue(path.join(root, 'scenarios')) };
}

/** A scenario covers a row when one of its `covers` entries starts with the row's id. */
function covers(scenario: Scenario, row: string): boolean {
  return scenario.covers.some((entry) => namesRow(entry.split(' ')[0] ?? '', row));
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/** The exact text of docs/target-trace.md. */
export function renderTrace(sources: TraceSources): string {
  const summary: string[] = ['| row | code places | tests | scenarios | switches |', '|---|---|---|---|---|'];
  const sections: string[] = [];
  for (const [row, words] of TRACE_ROWS) {
    const places = new Map<string, Set<string>>();
    for (const place of sources.code) {
      if (!namesRow(place.comment, row)) continue;
      const names = places.get(place.file) ?? new Set<string>();
      if (place.name) names.add(place.name);
      places.set(place.file, names);
    }
    const tests = sources.tests.filter((t) => namesRow(t.title, row));
    const scenarios = sources.scenarios.filter((s) => covers(s, row));
    const switches = [...new Set(scenarios.flatMap((s) => s.catches))].sort();
    summary.push(`| [${row}](#${anchor(row)}) | ${places.size} ${places.size === 1 ? 'file' : 'files'} | ${tests.length} | ${scenarios.map((s) => s.id).join(', ') || '—'} | ${switches.length} |`);
    const code = [...places.entries()].map(([file, names]) => (names.size > 0 ? `\`${file}\` (${[...names].sort().map((n) => `\`${n}\``).join(', ')})` : `\`${file}\``));
    const byFile = new Map<string, string[]>();
    for (const t of tests) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t.title]);
    sections.push(
      `## ${row}`,
      '',
      `> ${words}`,
      '',
      `- **code** (comments that name ${row}): ${code.length > 0 ? code.join('; ') : 'none'}`,
      `- **tests** (titles that name ${row}): ${tests.length === 0 ? 'none' : ''}`,
      ...[...byFile.entries()].map(([file, titles]) => `  - \`${file}\`: ${titles.map((t) => `"${cell(t)}"`).join('; ')}`),
      `- **scenarios** (\`covers\`): ${scenarios.length > 0 ? scenarios.map((s) => `${s.id} (${cell(s.title)})`).join('; ') : 'none'}`,
      `- **sabotage** (what those scenarios catch): ${switches.length > 0 ? switches.map((s) => `\`${s}\``).join(', ') : 'none'}`,
      '',
    );
  }
  const lines = [
    '# Seed trace: row → code → tests → scenarios',
    '',
    'Generated by `npm run trace` from the tree; test/scenarios/catalogue.test.ts fails when this',
    'file is out of date. For every seed row: the places in `target/` (simulators left out) whose',
    'comments name the row (a comment right above a declaration names it), the tests whose titles',
    'name it, the scenarios whose `covers` list it and the sabotage switches those scenarios catch.',
    'A row is named by its id as a whole token: `L1` is not found inside `L10`, nor `§7` inside',
    '`§7.4`. The prose about the target — what it is, where it goes beyond or differs from the',
    'seed — is in `docs/target.md`.',
    '',
    ...summary,
    '',
    ...sections,
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/** GitHub's heading anchor for a row id ("§7.4" → "74"). */
function anchor(row: string): string {
  return row.toLowerCase().replace(/[^a-z0-9 -]/g, '');
}

if (isEntryPoint(import.meta.url)) {
  writeFileSync(TRACE_FILE, renderTrace(readSources()));
  process.stdout.write(`wrote ${path.relative(process.cwd(), TRACE_FILE)}\n`);
}
