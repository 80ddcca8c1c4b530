/** Command line of `npm run bench`, parsed without side effects. */

/** The groups of figures, in the order they run. `suite` runs only when asked for. */
export const GROUPS = ['generator', 'open-model', 'overhead', 'margins', 'bot-time', 'suite'] as const;
export type Group = (typeof GROUPS)[number];

export interface BenchArgs {
  groups: Group[];
  /** Length of each side-by-side load measurement. */
  seconds: number;
  /** Where results.json goes. */
  resultsFile: string;
  help: boolean;
}

export const USAGE = `npm run bench -- [options]

  --only a,b      run only these groups: ${GROUPS.join(', ')}
  --seconds N     length of each side-by-side load measurement (default 10, 2 – 120)
  --suite         also time \`chaosctl run --all\` and \`npm test\` (8 – 10 minutes each)
  --results FILE  where the results go (default bench/results.json)
  --help          this text`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let only: Group[] | null = null;
  let seconds = 10;
  let suite = false;
  let resultsFile = 'bench/results.json';
  let help = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--only': {
        const names = value().split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !(GROUPS as readonly string[]).includes(n));
        if (unknown.length > 0) throw new Error(`unknown group ${unknown.join(', ')}; known: ${GROUPS.join(', ')}`);
        only = names as Group[];
        break;
      }
      case '--seconds': {
        const raw = value();
        seconds = Number(raw);
        if (!Number.isInteger(seconds) || seconds < 2 || seconds > 120) throw new Error(`--seconds must be a whole number from 2 to 120, got ${raw}`);
        break;
      }
      case '--suite':
        suite = true;
        break;
      case '--results':
        resultsFile = value();
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  const wanted = only ?? GROUPS.filter((g) => g !== 'suite');
  const groups = GROUPS.filter((g) => wanted.includes(g) || (g === 'suite' && suite));
  return { groups, seconds, resultsFile, help };
}
