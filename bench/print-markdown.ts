/** Prints bench/results.json (or the file given) as the Markdown table docs/performance.md holds. */
import { readFileSync } from 'node:fs';
import { formatMarkdownTable } from './results.ts';
import type { BenchResults } from './results.ts';

const results = JSON.parse(readFileSync(process.argv[2] ?? 'bench/results.json', 'utf8')) as BenchResults;
process.stdout.write(`Measured ${results.date.slice(0, 16).replace('T', ' ')} UTC on ${results.machine}.\n\n${formatMarkdownTable(results.figures)}\n`);
