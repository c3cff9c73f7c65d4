import { parseArgs } from 'node:util';
import type { EnvReader } from './env-reader.js';

/** The flags a command takes (besides `--help`). */
export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean' }>>;

/** True when the arguments ask for help: it is printed whatever else is wrong. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

/**
 * Reads `args` against `spec`, reporting every unknown flag, missing value and stray argument
 * to `r` (so that they are listed together with bad variables) instead of stopping at the first.
 */
export function readFlags(
  args: readonly string[],
  spec: FlagSpec,
  r: EnvReader,
): Readonly<Record<string, string | boolean | undefined>> {
  const { values, tokens } = parseArgs({
    args: [...args],
    options: spec,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'positional') {
      r.problem(`unexpected argument "${token.value}"`);
    } else if (token.kind === 'option') {
      const known = spec[token.name];
      if (known === undefined) r.problem(`unknown option ${token.rawName}`);
      else if (known.type === 'string' && token.value === undefined)
        r.problem(`${token.rawName} needs a value`);
      else if (known.type === 'boolean' && token.inlineValue === true)
        r.problem(`${token.rawName} takes no value`);
    }
  }
  const read: Record<string, string | boolean | undefined> = {};
  for (const [name, { type }] of Object.entries(spec)) {
    const value = values[name];
    read[name] =
      type === 'string' ? (typeof value === 'string' ? value : undefined) : value === true;
  }
  return read;
}
