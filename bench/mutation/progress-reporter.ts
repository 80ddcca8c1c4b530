/**
 * A Stryker reporter that appends each mutant's result to a JSON-lines file
 * as soon as it is known, so a run stopped by its budget (or by Ctrl-C) keeps
 * everything it measured. The file is named by CHAOSCTL_MUTATION_PROGRESS.
 */
import { appendFileSync } from 'node:fs';
import { declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';
import type { MutantResult } from '@stryker-mutator/api/core';
import type { Reporter } from '@stryker-mutator/api/report';

export const PROGRESS_FILE_ENV = 'CHAOSCTL_MUTATION_PROGRESS';

/** One line of the progress file: Stryker's own fields, nothing derived. */
export interface ProgressLine {
  fileName: string;
  mutatorName: string;
  replacement: string;
  /** As Stryker reports it to reporters: 1-based lines and columns. */
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
  status: string;
  statusReason?: string;
  at: string;
}

class ProgressReporter implements Reporter {
  onMutantTested(result: Readonly<MutantResult>): void {
    const file = process.env[PROGRESS_FILE_ENV];
    if (!file) return;
    const line: ProgressLine = {
      fileName: result.fileName,
      mutatorName: result.mutatorName,
      replacement: result.replacement,
      location: result.location,
      status: result.status,
      ...(result.statusReason ? { statusReason: result.statusReason } : {}),
      at: new Date().toISOString(),
    };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'chaosctl-progress', ProgressReporter)];
