// One command-line parser for every developer CLI (npm start, npm run sandbox, chat, ops,
// teams:package, gen:brek-types, bench): node:util parseArgs in strict mode, plus the same
// behaviour everywhere — `--help`/`-h` prints the usage on stdout and exits 0; an unknown option,
// a missing value or a stray argument prints the problem and the usage on stderr and exits 2
// (the shell's convention for a usage error, apart from 1 for "ran and failed").
import { parseArgs } from 'node:util';

export interface CliOption {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  /** One line, shown beside the flag. */
  description: string;
  /** The value's placeholder in the usage (`--user NAME`); string options only. */
  value?: string;
}

export interface CliSpec<O extends Record<string, CliOption>> {
  /** How a person runs it, e.g. `npm run chat`. */
  command: string;
  /** What follows the command in the usage line, e.g. `-- [options]`. */
  synopsis: string;
  /** One line: what the command does. */
  summary: string;
  options: O;
  /** Takes operands (ops' subcommand and id); without this any operand is a usage error. */
  positionals?: boolean;
  /** Sections after the options (commands, environment variables), each a heading and its lines. */
  sections?: { heading: string; lines: string[] }[];
  examples: string[];
}

type OptionValue<T extends CliOption> = T['type'] extends 'boolean' ? boolean : string;

export interface ParsedCommandLine<O extends Record<string, CliOption>> {
  values: { [K in keyof O]: O[K] extends { default: string | boolean } ? OptionValue<O[K]> : OptionValue<O[K]> | undefined };
  positionals: string[];
}

const HELP: CliOption = { type: 'boolean', short: 'h', description: 'show this help and exit' };

function usage<O extends Record<string, CliOption>>(spec: CliSpec<O>): string {
  const flags = Object.entries({ ...spec.options, help: HELP }).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
    const fallback = option.default !== undefined && option.type === 'string' ? ` (default ${String(option.default)})` : '';
    return { flag, text: `${option.description}${fallback}` };
  });
  const width = Math.max(...flags.map((f) => f.flag.length));
  const lines = [
    `usage: ${spec.command} ${spec.synopsis}`,
    spec.summary,
    '',
    'options:',
    ...flags.map((f) => `  ${f.flag.padEnd(width)}  ${f.text}`),
    ...(spec.sections ?? []).flatMap((section) => ['', `${section.heading}:`, ...section.lines.map((line) => `  ${line}`)]),
    '',
    spec.examples.length === 1 ? 'example:' : 'examples:',
    ...spec.examples.map((example) => `  ${example}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** Parses argv, or answers --help (exit 0) or a usage error (exit 2) itself. */
export function parseCommandLine<const O extends Record<string, CliOption>>(spec: CliSpec<O>, argv: readonly string[] = process.argv.slice(2)): ParsedCommandLine<O> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> = {};
  for (const [name, option] of Object.entries({ ...spec.options, help: HELP })) {
    options[name] = { type: option.type, ...(option.short ? { short: option.short } : {}), ...(option.default !== undefined ? { default: option.default } : {}) };
  }
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: spec.positionals ?? false });
  } catch (error) {
    // parseArgs explains itself at length; its first sentence names the problem.
    const problem = (error instanceof Error ? error.message : String(error)).split(/\.\s/)[0];
    process.stderr.write(`${spec.command}: ${problem}\n\n${usage(spec)}`);
    process.exit(2);
  }
  if (parsed.values.help === true) {
    process.stdout.write(usage(spec));
    process.exit(0);
  }
  delete parsed.values.help;
  return parsed as ParsedCommandLine<O>;
}
