/** Where chaosctl finds its own files, and the project whose state and outputs it keeps. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the chaosctl package (the folder holding package.json). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The bundled scenario catalogue. */
export const DEFAULT_SCENARIO_DIR = path.join(PACKAGE_ROOT, 'scenarios');

/** The state folder's name; its presence also marks a project folder. */
export const STATE_DIR_NAME = '.chaosctl';

/**
 * The project folder, found the way git finds its root: from `cwd` upward, the first folder
 * that holds a `.chaosctl/` state folder, or the chaosctl checkout itself (its package root)
 * when the walk reaches it, whichever comes first. Outside any of those, `cwd` itself. So
 * `cd docs && chaosctl status` sees the stack started from the checkout's root, and a run
 * writes to the root's reports/runs/, not to docs/reports/runs/.
 */
export function projectRoot(cwd: string = process.cwd(), packageRoot: string = PACKAGE_ROOT): string {
  const start = path.resolve(cwd);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (isDirectory(path.join(dir, STATE_DIR_NAME)) || dir === packageRoot) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}

/** State of the stack and of injected faults: $CHAOSCTL_STATE_DIR, else `.chaosctl/` in the project folder. */
export function stateDir(): string {
  const fromEnv = process.env.CHAOSCTL_STATE_DIR;
  return path.resolve(fromEnv ? fromEnv : path.join(projectRoot(), STATE_DIR_NAME));
}

/**
 * Default folder for run outputs: reports/runs/ in the project folder, written relative to the
 * working directory (it is the default shown by --help, and `--out` paths are relative to it too).
 */
export const DEFAULT_OUT_DIR = path.relative(process.cwd(), path.join(projectRoot(), 'reports', 'runs')) || '.';

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
