/**
 * Copies of catalogue scenarios with bench overrides, written into a temporary
 * scenario folder (the catalogue files are never changed).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { DEFAULT_SCENARIO_DIR } from '../cli/paths.ts';

/** A scenario document as parsed YAML, edited in place by an override. */
export type ScenarioDoc = Record<string, unknown> & { id: string; timeline: { steps: Array<Record<string, unknown>>; duration?: string }; probes?: unknown[] };

export interface ScenarioCopy {
  /** Id of the copy (also its file name). */
  id: string;
  /** The catalogue scenario it starts from, e.g. L1. */
  from: string;
  override?: (doc: ScenarioDoc) => void;
}

/** Replaces the step named `name` (throws when the catalogue no longer has it, so a renamed step is noticed). */
export function replaceStep(doc: ScenarioDoc, name: string, step: Record<string, unknown>): void {
  const index = doc.timeline.steps.findIndex((s) => s.name === name);
  if (index < 0) throw new Error(`scenario ${doc.id} has no step ${name}`);
  doc.timeline.steps[index] = step;
}

/** The copy as YAML text: the catalogue document with the override applied and the id changed. */
export function copyText(catalogueYaml: string, copy: ScenarioCopy): string {
  const doc = parse(catalogueYaml) as ScenarioDoc;
  copy.override?.(doc);
  doc.id = copy.id;
  return stringify(doc);
}

/** Writes each copy to dir/<id>.yaml. */
export async function writeCopies(dir: string, copies: readonly ScenarioCopy[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const copy of copies) {
    const source = await readFile(path.join(DEFAULT_SCENARIO_DIR, `${copy.from}.yaml`), 'utf8');
    await writeFile(path.join(dir, `${copy.id}.yaml`), copyText(source, copy));
  }
}
