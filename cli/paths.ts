/** Where chaosctl finds its own files and keeps its state. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the chaosctl package (the folder holding package.json). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The bundled scenario catalogue. */
export const DEFAULT_SCENARIO_DIR = path.join(PACKAGE_ROOT, 'scenarios');

/** State of the stack and of injected faults: $CHAOSCTL_STATE_DIR or ./.chaosctl */
export function stateDir(): string {
  return path.resolve(process.env.CHAOSCTL_STATE_DIR ?? '.chaosctl');
}

/** Default folder for run outputs: ./reports/runs */
export const DEFAULT_OUT_DIR = path.join('reports', 'runs');
