/** Reads a journal back from disk, checking it is one this chaosctl can render. */
import { readFile } from 'node:fs/promises';
import { JOURNAL_VERSION } from '../cli/core/journal.ts';
import type { Journal } from '../cli/core/journal.ts';

/** Reads a journal file written by writeRunOutputs; throws an Error saying what is wrong with it otherwise. */
export async function readJournal(file: string): Promise<Journal> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read journal ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not a chaosctl journal: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (!isRecord(data) || !('journalVersion' in data)) {
    throw new Error(`${file} is not a chaosctl journal: it has no "journalVersion" field`);
  }
  if (data.journalVersion !== JOURNAL_VERSION) {
    throw new Error(
      `${file} has journal version ${JSON.stringify(data.journalVersion)}, but this chaosctl reads version ${JOURNAL_VERSION} only; render it with the chaosctl version that wrote it`,
    );
  }
  const missing = missingFields(data);
  if (missing.length > 0) throw new Error(`${file} is not a complete chaosctl journal: missing or malformed ${missing.join(', ')}`);
  // The version matches and the fields every reporter walks are present; the rest is trusted as written by chaosctl.
  return data as unknown as Journal;
}

/** The top-level fields every reporter relies on that are absent or of the wrong type. */
function missingFields(data: Record<string, unknown>): string[] {
  const arrays = ['timeline', 'loads', 'faults', 'probes', 'expectations', 'events'];
  const strings = ['runId', 'status', 'startedAt', 'endedAt'];
  const missing = [
    ...strings.filter((key) => typeof data[key] !== 'string'),
    ...arrays.filter((key) => !Array.isArray(data[key])),
  ];
  const scenario = data.scenario;
  if (!isRecord(scenario) || typeof scenario.id !== 'string' || !Array.isArray(scenario.covers)) missing.push('scenario');
  const steady = data.steadyState;
  if (!isRecord(steady) || !Array.isArray(steady.before) || !Array.isArray(steady.after)) missing.push('steadyState');
  const env = data.environment;
  if (!isRecord(env) || !Array.isArray(env.sabotage)) missing.push('environment');
  if (typeof data.durationMs !== 'number') missing.push('durationMs');
  return missing;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
