/**
 * Reading scenario files: YAML syntax, the zod schema and the cross-references
 * the schema cannot express, all reported together with file, line, column and
 * YAML path. Nothing here exits; callers get problems back or a ChaosError.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { z } from 'zod';
import { formatMs, toMs, DURATION_PATTERN } from '../core/duration.ts';
import { ChaosError } from '../core/errors.ts';
import type { Expectation } from '../core/scenario-schema.ts';
import { ScenarioSchema, type Scenario } from '../drivers/registry.ts';
import { DEFAULT_SCENARIO_DIR } from '../paths.ts';
import { SABOTAGE_SWITCHES } from '../../target/sabotage.ts';
import { applyProfile, profileNames } from './profiles.ts';

/** One thing wrong with a scenario file, located in the file. */
export interface Problem {
  /** The file as shown to the user (relative to the working directory when inside it). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** YAML path of the offending entry, e.g. `timeline.steps[1].fault.toxic`; empty for the whole document. */
  path: string;
  message: string;
  /** How to fix it, when there is something useful to say (e.g. `did you mean "for"?`). */
  hint?: string;
}

/** A scenario that passed every check. */
export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the scenario file. */
  file: string;
  /** The profile laid over the file, when one was (`--profile`). */
  profile?: string;
}

/** The outcome of checking one scenario file; `scenario` is set only when there are no problems. */
export interface ScenarioFileCheck {
  /** Absolute path of the scenario file. */
  file: string;
  scenario: Scenario | null;
  problems: Problem[];
}

type Segment = string | number;

/** A problem before it has a place in the file. */
interface Finding {
  path: Segment[];
  /** 'key' points at the last path segment's key (unknown keys); 'value' at the value or its nearest existing parent. */
  anchor: 'key' | 'value';
  message: string;
  hint?: string;
  /** Set on "missing key K" findings, so an unknown key suggesting K can stand in for them. */
  missingKey?: string;
  /** Set on "unknown key" findings: the key the hint suggests. */
  suggests?: string;
}

interface Analysis {
  scenario: Scenario | null;
  problems: Problem[];
  /** True when the text is not valid YAML; then only the syntax problems are reported. */
  syntaxError: boolean;
}

const SCENARIO_EXTENSIONS = ['.yaml', '.yml'];

/**
 * The largest scenario file read. The catalogue's largest is under 8 KB; past this size a
 * file is a mistake (a log, a dump), and parsing it would take seconds and gigabytes
 * before saying so.
 */
export const MAX_SCENARIO_BYTES = 256 * 1024;

/** The deepest nesting of mappings and lists accepted; a scenario needs about 8. */
export const MAX_SCENARIO_DEPTH = 64;

/**
 * At most this many problems are located and listed for one file. Locating each costs
 * a walk of its part of the document, and a screen of the first problems says what is
 * wrong as well as ten thousand would.
 */
export const MAX_PROBLEMS = 50;

/** At most this many names are listed in a hint such as "probes: a, b, c". */
const MAX_HINT_NAMES = 5;

/** "did you mean" looks only at words this short, among at most this many candidates. */
const MAX_SUGGEST_LENGTH = 64;
const MAX_SUGGEST_CANDIDATES = 200;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Checks scenario text and returns every problem found, sorted by line.
 * When the YAML itself is broken only the syntax problems are returned: schema
 * checks on a half-parsed tree would mostly report the same mistake again.
 */
export function validateScenarioText(text: string, file: string): { scenario: Scenario | null; problems: Problem[] } {
  const { scenario, problems } = analyseScenarioText(text, file);
  return { scenario, problems };
}

/** Reads and checks one scenario file, and each of its profiles, without throwing on problems in it. */
export async function checkScenarioFile(file: string): Promise<ScenarioFileCheck> {
  const absolute = path.resolve(file);
  const shown = displayPath(absolute);
  const read = await readScenarioText(absolute, shown);
  if ('problem' in read) return { file: absolute, scenario: null, problems: [read.problem] };
  const { text } = read;
  const base = analyseScenarioText(text, shown);
  if (!base.scenario) return { file: absolute, scenario: null, problems: base.problems };
  const profileProblems = Object.keys(base.scenario.profiles).flatMap((name) => analyseScenarioText(text, shown, name).problems);
  return { file: absolute, scenario: profileProblems.length === 0 ? base.scenario : null, problems: sortProblems(profileProblems) };
}

/**
 * Reads a scenario file, with `profile` laid over it when given; throws a ChaosError
 * listing every problem when it is not a valid scenario.
 */
export async function loadScenarioFile(file: string, profile?: string): Promise<LoadedScenario> {
  const absolute = path.resolve(file);
  const shown = displayPath(absolute);
  const read = await readScenarioText(absolute, shown);
  if ('problem' in read) throw new ChaosError('CHAOSCTL_E_SCENARIO_INVALID', { file: shown, count: 1 }, { details: [formatProblem(read.problem)] });
  const analysis = analyseScenarioText(read.text, shown, profile);
  const details = analysis.problems.map(formatProblem);
  const [first] = analysis.problems;
  if (analysis.syntaxError && first) {
    const more = analysis.problems.length > 1 ? ` (and ${analysis.problems.length - 1} more)` : '';
    const detail = `${first.message} at line ${first.line}, column ${first.column}${more}`;
    throw new ChaosError('CHAOSCTL_E_SCENARIO_PARSE', { file: shown, detail }, { details });
  }
  if (!analysis.scenario) {
    throw new ChaosError('CHAOSCTL_E_SCENARIO_INVALID', { file: shown, count: analysis.problems.length }, { details });
  }
  return { scenario: analysis.scenario, file: absolute, ...(profile === undefined ? {} : { profile }) };
}

/** sha256 of a validated scenario (defaults filled in, profile applied): equal only for the same scenario. */
export function scenarioFingerprint(scenario: Scenario): string {
  return createHash('sha256').update(JSON.stringify(scenario)).digest('hex');
}

/** One problem as a line: `file:line:column  path  message (hint)`. */
export function formatProblem(p: Problem): string {
  const place = `${p.file}:${p.line}:${p.column}`;
  const hint = p.hint ? ` (${p.hint})` : '';
  return p.path ? `${place}  ${p.path}  ${p.message}${hint}` : `${place}  ${p.message}${hint}`;
}

/**
 * The id of an expectation in reports and JUnit: its explicit `id`, else
 * `<kind>-<n>` where n is its 1-based position in `expect` (index is 0-based).
 */
export function expectationId(exp: Pick<Expectation, 'id' | 'kind'>, index: number): string {
  return exp.id ?? `${exp.kind}-${index + 1}`;
}

/**
 * Turns a scenario reference into an absolute file path. A reference is a path
 * to an existing .yaml/.yml file, or an id such as `L11` (any case) meaning
 * `<dir>/L11.yaml`.
 */
export function resolveScenarioRef(ref: string, dir: string): string {
  if (SCENARIO_EXTENSIONS.includes(path.extname(ref).toLowerCase())) {
    if (isFile(ref)) return path.resolve(ref);
  } else if (/^[A-Za-z][A-Za-z0-9_-]*$/.test(ref)) {
    const id = ref.toUpperCase();
    const found = SCENARIO_EXTENSIONS.map((ext) => path.join(dir, id + ext)).find(isFile);
    if (found) return path.resolve(found);
  }
  throw new ChaosError('CHAOSCTL_E_SCENARIO_NOT_FOUND', { id: ref, dir: displayPath(path.resolve(dir)) });
}

/** Every scenario file in a folder (not schema.json), sorted naturally: C1, C2, C10, L1, L11. */
export function listScenarioFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `cannot read the scenario folder ${dir}: ${reason}` }, { cause: error });
  }
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  return names
    .filter((name) => name !== 'schema.json' && SCENARIO_EXTENSIONS.includes(path.extname(name).toLowerCase()))
    .filter((name) => isFile(path.join(dir, name)))
    .sort((a, b) => collator.compare(a, b))
    .map((name) => path.join(dir, name));
}

/** The scenario folder: the --scenarios option, else $CHAOSCTL_SCENARIOS, else the bundled scenarios/. */
export function scenarioDir(option?: string): string {
  const fromEnv = process.env.CHAOSCTL_SCENARIOS;
  return path.resolve(option ?? (fromEnv ? fromEnv : DEFAULT_SCENARIO_DIR));
}

/** A path as shown to people: relative to the working directory when inside it, else absolute. */
export function displayPath(file: string): string {
  const absolute = path.resolve(file);
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

// ---------------------------------------------------------------------------
// The three stages: YAML, schema, cross-references
// ---------------------------------------------------------------------------

function analyseScenarioText(text: string, file: string, profile?: string): Analysis {
  // Text handed in directly (not read from a file) gets the same size bound.
  if (Buffer.byteLength(text, 'utf8') > MAX_SCENARIO_BYTES) {
    return { scenario: null, problems: [tooLargeProblem(file, Buffer.byteLength(text, 'utf8'))], syntaxError: true };
  }
  const lineCounter = new LineCounter();
  const place = (offset: number): { line: number; column: number } => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  let doc: Document;
  try {
    // The parser's own duplicate-key check compares every key with every other (seconds for a
    // file of many keys); walkDocument finds duplicates with one set per mapping instead.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (error) {
    // The parser recurses per level of nesting; a hostile depth can exhaust the stack.
    if (!(error instanceof RangeError)) throw error;
    return { scenario: null, problems: [tooDeepProblem(file, 1, 1)], syntaxError: true };
  }

  if (doc.errors.length > 0) {
    const overflow = doc.errors.find((e) => /call stack/i.test(e.message));
    if (overflow) return { scenario: null, problems: [tooDeepProblem(file, ...placeArgs(place(overflow.pos[0])))], syntaxError: true };
    const problems = capProblems(
      doc.errors.slice(0, MAX_PROBLEMS).map((e) => ({ file, ...place(e.pos[0]), path: '', message: sentence(e.message) })),
      doc.errors.length,
      file,
    );
    return { scenario: null, problems, syntaxError: true };
  }

  const walked = walkDocument(doc);
  if (walked.depth > MAX_SCENARIO_DEPTH) {
    return { scenario: null, problems: [tooDeepProblem(file, ...placeArgs(place(walked.deepestOffset)))], syntaxError: true };
  }
  if (walked.duplicateKeys.length > 0) {
    const problems = walked.duplicateKeys.slice(0, MAX_PROBLEMS).map((offset) => ({ file, ...place(offset), path: '', message: 'map keys must be unique' }));
    return { scenario: null, problems: capProblems(problems, walked.duplicateKeys.length, file), syntaxError: true };
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // Unresolved aliases and alias bombs only show up when the tree is turned into values.
    const message = sentence(error instanceof Error ? error.message : String(error));
    return { scenario: null, problems: [{ file, ...place(unresolvedAliasOffset(doc)), path: '', message }], syntaxError: true };
  }

  if (profile !== undefined) {
    const merged = applyProfile(data, profile);
    if (merged === null) {
      const names = profileNames(data);
      const hint = names.length > 0 ? `profiles: ${names.join(', ')}` : 'this scenario has no profiles';
      return { scenario: null, problems: [{ file, line: 1, column: 1, path: 'profiles', message: `no profile named "${profile}"`, hint }], syntaxError: false };
    }
    data = merged;
  }

  const parsed = ScenarioSchema.safeParse(data);
  const schemaFindings = parsed.success ? { findings: [], skipped: 0 } : boundedIssueFindings(parsed.error.issues, data);
  const findings = mergeMisspelledKeys([...schemaFindings.findings, ...crossReferenceFindings(data)]);
  const total = findings.length + schemaFindings.skipped;
  const located = findings.slice(0, MAX_PROBLEMS).map((f) => toProblem(f, doc, place, file));
  // Positions point at the base text; the message says the problem comes with the profile.
  const shown = profile === undefined ? located : located.map((p) => ({ ...p, message: `with profile "${profile}": ${p.message}` }));
  const problems = capProblems(shown, total, file);
  const scenario = parsed.success && problems.length === 0 ? parsed.data : null;
  return { scenario, problems, syntaxError: false };
}

/**
 * The schema's findings, at most MAX_PROBLEMS of them built: one issue may name thousands
 * of unknown keys, and each finding costs a look at its surroundings. `skipped` counts the rest.
 */
function boundedIssueFindings(issues: readonly z.core.$ZodIssue[], data: unknown): { findings: Finding[]; skipped: number } {
  const findings: Finding[] = [];
  let skipped = 0;
  for (const issue of issues) {
    const room = MAX_PROBLEMS - findings.length;
    if (issue.code === 'unrecognized_keys' && issue.keys.length > room) {
      skipped += issue.keys.length - Math.max(room, 0);
      if (room > 0) findings.push(...issueFindings({ ...issue, keys: issue.keys.slice(0, room) }, data));
      continue;
    }
    if (room <= 0) {
      skipped += 1;
      continue;
    }
    findings.push(...issueFindings(issue, data));
  }
  return { findings, skipped };
}

/** Sorted problems, with a last line saying how many more there are when some were left out. */
function capProblems(problems: Problem[], total: number, file: string): Problem[] {
  const sorted = sortProblems(problems);
  if (total <= sorted.length) return sorted;
  const last = sorted[sorted.length - 1];
  const more: Problem = {
    file,
    line: last?.line ?? 1,
    column: last?.column ?? 1,
    path: '',
    message: `and ${total - sorted.length} more problem(s) not listed`,
    hint: `only the first ${sorted.length} are shown; fix them and check again`,
  };
  return [...sorted, more];
}

function tooLargeProblem(file: string, bytes: number): Problem {
  return {
    file,
    line: 1,
    column: 1,
    path: '',
    message: `the file is ${formatBytes(bytes)}; a scenario file may be at most ${formatBytes(MAX_SCENARIO_BYTES)}`,
    hint: 'is this really a scenario? the catalogue\'s largest is under 8 KB',
  };
}

function tooDeepProblem(file: string, line: number, column: number): Problem {
  return {
    file,
    line,
    column,
    path: '',
    message: `mappings and lists are nested more than ${MAX_SCENARIO_DEPTH} levels deep here; a scenario needs far fewer`,
  };
}

function placeArgs(p: { line: number; column: number }): [number, number] {
  return [p.line, p.column];
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * One walk of the document without recursion: how deep its mappings and lists go (and where
 * the deepest starts), and where a key repeats one written before it in the same mapping.
 */
function walkDocument(doc: Document): { depth: number; deepestOffset: number; duplicateKeys: number[] } {
  let depth = 0;
  let deepestOffset = 0;
  const duplicateKeys: number[] = [];
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth: level } = stack.pop() as { node: unknown; depth: number };
    if (isPair(node)) {
      stack.push({ node: node.key, depth: level }, { node: node.value, depth: level });
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (level > depth) {
      depth = level;
      deepestOffset = node.range?.[0] ?? 0;
    }
    // Past the bound the answer is known; stop walking.
    if (level > MAX_SCENARIO_DEPTH) break;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const key = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(key)) duplicateKeys.push(pair.key.range?.[0] ?? 0);
        seen.add(key);
      }
    }
    for (const item of node.items as unknown[]) stack.push({ node: item, depth: level + 1 });
  }
  return { depth, deepestOffset, duplicateKeys: duplicateKeys.sort((a, b) => a - b) };
}

/** The file's text, or a problem when it is too large to be a scenario (checked before reading it). */
async function readScenarioText(absolute: string, shown: string): Promise<{ text: string } | { problem: Problem }> {
  try {
    const handle = await open(absolute, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_SCENARIO_BYTES) return { problem: tooLargeProblem(shown, size) };
      return { text: await handle.readFile('utf8') };
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) {
      throw new ChaosError('CHAOSCTL_E_SCENARIO_NOT_FOUND', { id: path.basename(absolute), dir: displayPath(path.dirname(absolute)) }, { cause: error });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `cannot read ${displayPath(absolute)}: ${reason}` }, { cause: error });
  }
}

/** Where the first alias without an anchor is written (the start of the file when there is none). */
function unresolvedAliasOffset(doc: Document): number {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

/** An unknown key whose hint names a missing required key is the same mistake; keep only the unknown key. */
function mergeMisspelledKeys(findings: Finding[]): Finding[] {
  const suggested = new Set(findings.filter((f) => f.suggests !== undefined).map((f) => parentKey(f.path, f.suggests as string)));
  return findings.filter((f) => f.missingKey === undefined || !suggested.has(parentKey(f.path, f.missingKey)));
}

function parentKey(p: Segment[], key: string): string {
  return JSON.stringify([...p.slice(0, -1), key]);
}

function sortProblems(problems: Problem[]): Problem[] {
  return problems
    .map((p, order) => ({ p, order }))
    .sort((a, b) => a.p.line - b.p.line || a.p.column - b.p.column || a.order - b.order)
    .map(({ p }) => p);
}

// ---------------------------------------------------------------------------
// Locating findings in the YAML document
// ---------------------------------------------------------------------------

function toProblem(f: Finding, doc: Document, place: (offset: number) => { line: number; column: number }, file: string): Problem {
  const offset = (f.anchor === 'key' ? keyOffset(doc, f.path) : undefined) ?? valueOffset(doc, f.path);
  const problem: Problem = { file, ...place(offset), path: formatPath(f.path), message: f.message };
  if (f.hint) problem.hint = f.hint;
  return problem;
}

/** Where the key of the path's last segment is written, if it is a key of a mapping. */
function keyOffset(doc: Document, p: Segment[]): number | undefined {
  const parent = p.length > 1 ? doc.getIn(p.slice(0, -1), true) : doc.contents;
  const key = p[p.length - 1];
  if (!isMap(parent) || key === undefined) return undefined;
  const pair = parent.items.find((item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(key));
  return isNode(pair?.key) ? pair.key.range?.[0] : undefined;
}

/** Where the value at the path starts; a missing value falls back to its nearest existing parent. */
function valueOffset(doc: Document, p: Segment[]): number {
  for (let depth = p.length; depth > 0; depth--) {
    const node = doc.getIn(p.slice(0, depth), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return isNode(doc.contents) && doc.contents.range ? doc.contents.range[0] : 0;
}

/** A path as written in messages: `timeline.steps[1].fault.toxic`. */
export function formatPath(p: readonly Segment[]): string {
  let out = '';
  for (const segment of p) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Schema issues → findings
// ---------------------------------------------------------------------------

function issueFindings(issue: z.core.$ZodIssue, data: unknown): Finding[] {
  const p = issue.path.map((s): Segment => (typeof s === 'number' ? s : String(s)));
  const value = valueAt(data, p);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKeyFinding(p, key, data));
    case 'invalid_type':
      return [invalidTypeFinding(p, issue.expected, value, data)];
    case 'invalid_value':
      return [choiceFinding(p, value, issue.values.map(String))];
    case 'invalid_union':
      if (issue.discriminator && 'options' in issue) return [discriminatorFinding(p, issue.discriminator, data, issue.options ?? [])];
      return [{ path: p, anchor: 'value', message: sentence(issue.message) }];
    case 'too_small':
      return [{ path: p, anchor: 'value', message: boundMessage('at least', issue.origin, issue.minimum, issue.inclusive) }];
    case 'too_big':
      return [{ path: p, anchor: 'value', message: boundMessage('at most', issue.origin, issue.maximum, issue.inclusive) }];
    default:
      return [{ path: p, anchor: 'value', message: sentence(issue.message) }];
  }
}

function unknownKeyFinding(parent: Segment[], key: string, data: unknown): Finding {
  const present = Object.keys(asRecord(valueAt(data, parent)) ?? {});
  const allowed = allowedKeys(schemaAt(ScenarioSchema, data, parent));
  // A key already written here is not what the typo meant.
  const suggestion = closest(key, allowed.filter((k) => !present.includes(k)));
  const finding: Finding = { path: [...parent, key], anchor: 'key', message: `unknown key "${key}"` };
  if (suggestion !== undefined) {
    finding.hint = `did you mean "${suggestion}"?`;
    finding.suggests = suggestion;
  } else if (allowed.length > 0) {
    finding.hint = `allowed keys: ${allowed.join(', ')}`;
  }
  return finding;
}

function invalidTypeFinding(p: Segment[], expected: string, value: unknown, data: unknown): Finding {
  const key = p[p.length - 1];
  if (p.length === 0 && (value === null || value === undefined)) {
    return { path: p, anchor: 'value', message: 'the file holds no scenario', hint: 'a scenario is a mapping with id, title, kind, covers, timeline and expect' };
  }
  if (value === undefined && typeof key === 'string') {
    return { path: p, anchor: 'value', message: `missing required key "${key}"`, missingKey: key };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    // YAML's .nan and .inf are numbers to the parser but never a usable rate, count or threshold.
    const literal = Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
    const hint = expected === 'number' || expected === 'int' ? 'write a finite number; .nan and .inf are not accepted' : `quote it if you mean the text: "${literal}"`;
    return { path: p, anchor: 'value', message: `expected ${typeWord(expected)}, got ${describeValue(value)}`, hint };
  }
  const finding: Finding = { path: p, anchor: 'value', message: `expected ${typeWord(expected)}, got ${describeValue(value)}` };
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
    const leaf = schemaAt(ScenarioSchema, data, p);
    if (leaf?.safeParse(String(value)).success) finding.hint = `quote it: "${String(value)}"`;
    else if (leaf?.safeParse(`${String(value)}s`).success) finding.hint = `a duration needs a unit, e.g. ${String(value)}s or ${String(value)}ms`;
  }
  return finding;
}

function choiceFinding(p: Segment[], value: unknown, options: string[]): Finding {
  const finding: Finding = {
    path: p,
    anchor: 'value',
    message: options.length === 1 ? `expected "${options[0]}", got ${describeValue(value)}` : `${describeValue(value)} is not one of: ${options.join(', ')}`,
  };
  const suggestion = typeof value === 'string' ? closest(value, options) : undefined;
  if (suggestion !== undefined) finding.hint = `did you mean "${suggestion}"?`;
  return finding;
}

function discriminatorFinding(p: Segment[], discriminator: string, data: unknown, allowed: readonly unknown[]): Finding {
  // zod puts the discriminator key at the end of the path; older versions stop at the object.
  const keyPath = p[p.length - 1] === discriminator ? p : [...p, discriminator];
  const options = allowed.map(String);
  const value = valueAt(data, keyPath);
  if (value === undefined) {
    return { path: keyPath, anchor: 'value', message: `missing required key "${discriminator}"`, hint: `one of: ${options.join(', ')}`, missingKey: discriminator };
  }
  return choiceFinding(keyPath, value, options);
}

function boundMessage(kind: 'at least' | 'at most', origin: string, bound: number | bigint, inclusive: boolean | undefined): string {
  const n = Number(bound);
  if (origin === 'array') return kind === 'at least' ? `needs at least ${n} item${n === 1 ? '' : 's'}` : `allows at most ${n} item${n === 1 ? '' : 's'}`;
  if (origin === 'string') return kind === 'at least' && n === 1 ? 'must not be empty' : `must be ${kind} ${n} characters long`;
  const op = kind === 'at least' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  return `must be ${op} ${n}`;
}

function typeWord(expected: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', int: 'an integer', boolean: 'true or false' };
  return words[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? '.nan (not a number)' : `${value > 0 ? '' : '-'}.inf (infinity)`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

/** The YAML parser's and zod's messages start upper-case; ours do not. */
function sentence(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

// ---------------------------------------------------------------------------
// Walking the zod schema (for the keys allowed at a place)
// ---------------------------------------------------------------------------

function schemaAt(root: z.ZodType, data: unknown, p: Segment[]): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  let value = data;
  for (const segment of p) {
    if (!schema) return undefined;
    schema = childSchema(pickOption(unwrap(schema), value), segment);
    value = childValue(value, segment);
  }
  return schema ? pickOption(unwrap(schema), value) : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

/** For a discriminated union, the option the data selects (itself when none matches). */
function pickOption(schema: z.ZodType, value: unknown): z.ZodType {
  if (!(schema instanceof z.ZodDiscriminatedUnion)) return schema;
  const discriminator = schema.def.discriminator;
  const tag = asRecord(value)?.[discriminator];
  const options = schema.options as readonly z.ZodType[];
  return (
    options.find((option) => {
      const inner = unwrap(option);
      const literal = inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>)[discriminator] : undefined;
      return literal instanceof z.ZodLiteral && literal.values.has(tag as z.core.util.Literal);
    }) ?? schema
  );
}

function childSchema(schema: z.ZodType, segment: Segment): z.ZodType | undefined {
  if (schema instanceof z.ZodObject) return (schema.shape as Record<string, z.ZodType>)[String(segment)];
  if (schema instanceof z.ZodArray && typeof segment === 'number') return schema.element as z.ZodType;
  if (schema instanceof z.ZodRecord) return schema.valueType as z.ZodType;
  return undefined;
}

function allowedKeys(schema: z.ZodType | undefined): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape as Record<string, z.ZodType>);
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const keys = (schema.options as readonly z.ZodType[]).flatMap((option) => allowedKeys(unwrap(option)));
    return [...new Set(keys)];
  }
  return [];
}

// ---------------------------------------------------------------------------
// Cross-references the schema cannot express
// ---------------------------------------------------------------------------

type StepKind = 'load' | 'fault' | 'action';

interface StepInfo {
  index: number;
  name: string | undefined;
  kind: StepKind | undefined;
  at: string | undefined;
  for: string | undefined;
}

/** Checks on the raw data, so they run even when the schema found problems elsewhere; wrong shapes are skipped (the schema reports them). */
function crossReferenceFindings(data: unknown): Finding[] {
  const root = asRecord(data);
  if (!root) return [];
  const timeline = asRecord(root.timeline);
  const steps = asArray(timeline?.steps).map(stepInfo);
  const probeNames = asArray(root.probes).map((probe) => asString(asRecord(probe)?.name));
  const expectations = asArray(root.expect).map(asRecord);
  return [
    ...duplicateNames(steps.map((s) => s.name), ['timeline', 'steps'], 'step'),
    ...duplicateNames(probeNames, ['probes'], 'probe'),
    ...(['setup', 'teardown'] as const).flatMap((phase) =>
      duplicateNames(asArray(asRecord(root.fixtures)?.[phase]).map((f) => asString(asRecord(f)?.name)), ['fixtures', phase], 'fixture'),
    ),
    ...duplicateExpectationIds(expectations),
    ...steps.filter((s) => s.kind === 'load' && s.for === undefined).map(loadWithoutFor),
    ...expectations.flatMap((exp, i) => expectationReferences(exp, i, steps, probeNames)),
    ...asArray(root.steadyState).flatMap((check, i) => probeReference(asRecord(check)?.probe, ['steadyState', i, 'probe'], probeNames)),
    ...asArray(root.abortWhen).flatMap((raw, i) => {
      const brake = asRecord(raw);
      return [...probeReference(brake?.probe, ['abortWhen', i, 'probe'], probeNames), ...stepReference(brake?.load, ['abortWhen', i, 'load'], 'load', steps)];
    }),
    ...stepsPastDuration(steps, asString(timeline?.duration)),
    ...asArray(root.catches).flatMap((name, i) => sabotageReference(name, ['catches', i])),
  ];
}

function sabotageReference(ref: unknown, p: Segment[]): Finding[] {
  const name = asString(ref);
  const known = Object.keys(SABOTAGE_SWITCHES);
  if (name === undefined || known.includes(name)) return [];
  return [{ path: p, anchor: 'value', message: `the target has no sabotage switch "${name}"`, ...referenceHint(name, known, 'switches') }];
}

function stepInfo(raw: unknown, index: number): StepInfo {
  const step = asRecord(raw);
  const kinds = (['load', 'fault', 'action'] as const).filter((kind) => step?.[kind] !== undefined);
  return {
    index,
    name: asString(step?.name),
    kind: kinds.length === 1 ? kinds[0] : undefined,
    at: step?.at === undefined ? '0s' : asString(step.at),
    // A "for" of the wrong type still counts as present (''); the schema reports its type.
    for: step?.for === undefined ? undefined : asString(step.for) ?? '',
  };
}

function duplicateNames(names: (string | undefined)[], base: Segment[], what: string): Finding[] {
  const firstSeen = new Map<string, number>();
  const findings: Finding[] = [];
  names.forEach((name, i) => {
    if (name === undefined) return;
    const first = firstSeen.get(name);
    if (first === undefined) firstSeen.set(name, i);
    else findings.push({ path: [...base, i, 'name'], anchor: 'value', message: `${what} name "${name}" is already used by ${formatPath([...base, first])}` });
  });
  return findings;
}

function duplicateExpectationIds(expectations: (Record<string, unknown> | undefined)[]): Finding[] {
  const firstSeen = new Map<string, number>();
  const findings: Finding[] = [];
  expectations.forEach((exp, i) => {
    const explicit = asString(exp?.id);
    const kind = asString(exp?.kind);
    if (explicit === undefined && kind === undefined) return;
    const id = explicit ?? `${kind}-${i + 1}`;
    const first = firstSeen.get(id);
    if (first === undefined) {
      firstSeen.set(id, i);
      return;
    }
    findings.push({
      path: explicit === undefined ? ['expect', i] : ['expect', i, 'id'],
      anchor: 'value',
      message: `expectation id "${id}"${explicit === undefined ? ' (derived from kind and position)' : ''} is already used by expect[${first}]`,
      hint: 'give each expectation a distinct "id"',
    });
  });
  return findings;
}

function loadWithoutFor(step: StepInfo): Finding {
  return {
    path: ['timeline', 'steps', step.index, 'for'],
    anchor: 'value',
    message: 'a load step needs "for" (how long the load runs)',
    missingKey: 'for',
  };
}

function expectationReferences(exp: Record<string, unknown> | undefined, i: number, steps: StepInfo[], probeNames: (string | undefined)[]): Finding[] {
  const kind = asString(exp?.kind);
  if (kind === 'latency' || kind === 'errors') return stepReference(exp?.load, ['expect', i, 'load'], 'load', steps);
  if (kind === 'action') return stepReference(exp?.step, ['expect', i, 'step'], 'action', steps);
  if (kind === 'final') return probeReference(exp?.probe, ['expect', i, 'probe'], probeNames);
  if (kind !== 'probe') return [];
  const window = asRecord(exp?.window);
  return [
    ...probeReference(exp?.probe, ['expect', i, 'probe'], probeNames),
    ...stepReference(window?.during, ['expect', i, 'window', 'during'], 'fault', steps),
    ...stepReference(window?.after, ['expect', i, 'window', 'after'], 'fault', steps),
  ];
}

function stepReference(ref: unknown, p: Segment[], wanted: StepKind, steps: StepInfo[]): Finding[] {
  const name = asString(ref);
  if (name === undefined) return [];
  const target = steps.find((s) => s.name === name);
  if (target?.kind === wanted || (target && target.kind === undefined)) return [];
  const candidates = unique(steps.filter((s) => s.kind === wanted).map((s) => s.name));
  const article = (kind: StepKind | undefined): string => (kind === 'action' ? 'an' : 'a');
  const message = target ? `"${name}" is ${article(target.kind)} ${target.kind} step; this needs ${article(wanted)} ${wanted} step` : `no step named "${name}"`;
  return [{ path: p, anchor: 'value', message, ...referenceHint(name, candidates, `${wanted} steps`) }];
}

function probeReference(ref: unknown, p: Segment[], probeNames: (string | undefined)[]): Finding[] {
  const name = asString(ref);
  if (name === undefined || probeNames.includes(name)) return [];
  const candidates = unique(probeNames);
  return [{ path: p, anchor: 'value', message: `no probe named "${name}"`, ...referenceHint(name, candidates, 'probes') }];
}

function referenceHint(name: string, candidates: string[], what: string): { hint?: string } {
  const suggestion = closest(name, candidates);
  if (suggestion !== undefined) return { hint: `did you mean "${suggestion}"?` };
  if (candidates.length === 0) return { hint: `there are no ${what}` };
  const listed = candidates.slice(0, MAX_HINT_NAMES).join(', ');
  return { hint: `${what}: ${listed}${candidates.length > MAX_HINT_NAMES ? `, … (${candidates.length} in all)` : ''}` };
}

function stepsPastDuration(steps: StepInfo[], duration: string | undefined): Finding[] {
  if (duration === undefined || !DURATION_PATTERN.test(duration)) return [];
  const limit = toMs(duration);
  return steps.flatMap((step): Finding[] => {
    if (step.at === undefined || !DURATION_PATTERN.test(step.at)) return [];
    if (step.for !== undefined && !DURATION_PATTERN.test(step.for)) return [];
    const end = toMs(step.at) + (step.for === undefined ? 0 : toMs(step.for));
    if (end <= limit) return [];
    const label = step.name ? `step "${step.name}"` : 'this step';
    return [
      {
        path: ['timeline', 'steps', step.index, step.for === undefined ? 'at' : 'for'],
        anchor: 'value',
        message: `${label} ends at ${formatMs(end)}, after timeline.duration (${formatMs(limit)})`,
        hint: 'lengthen timeline.duration or end the step sooner',
      },
    ];
  });
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

/** The candidate closest to a misspelt word, when it is close enough to be a likely typo. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  // A typo is a short word near a short list; past these bounds the search costs more than the hint is worth.
  if (word.length > MAX_SUGGEST_LENGTH || candidates.length > MAX_SUGGEST_CANDIDATES) return undefined;
  const lower = word.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    if (candidate.length > MAX_SUGGEST_LENGTH) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(1, Math.floor(Math.max(word.length, best.candidate.length) / 3));
  return best.distance <= allowed ? best.candidate : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}

function valueAt(data: unknown, p: readonly Segment[]): unknown {
  return p.reduce<unknown>((value, segment) => childValue(value, segment), data);
}

function childValue(value: unknown, segment: Segment): unknown {
  if (Array.isArray(value)) return typeof segment === 'number' ? (value as unknown[])[segment] : undefined;
  return asRecord(value)?.[String(segment)];
}

function unique(names: (string | undefined)[]): string[] {
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
