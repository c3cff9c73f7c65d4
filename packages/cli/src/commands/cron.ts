import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CarillonError, assertTimeZone, parseCron } from '@carillon/core';
import type { CommandIo } from '../io.js';
import { ExitCode } from '../io.js';

/** The most fire times one `cron next` request may ask for. */
const MAX_COUNT = 10_000;
const DEFAULT_COUNT = 10;
const DEFAULT_TIME_ZONE = 'UTC';

const USAGE = `usage:
  carillon cron next "<expression>" [--tz <zone>] [--from <instant>] [--count <n>]
  carillon cron next --stdin [--tz <zone>] [--from <instant>] [--count <n>]
  carillon cron explain "<expression>"

Expressions are Quartz cron: second minute hour dayOfMonth month dayOfWeek [year].
next prints the next fire times, one per line, as ISO-8601 UTC. --tz is an IANA zone
(default UTC), --from an ISO-8601 instant such as 2026-03-08T07:00:00Z (default now),
--count 1 to ${MAX_COUNT} (default ${DEFAULT_COUNT}).
With --stdin, each input line is a JSON object {"expr", "tz", "from", "count"} (the options
fill in what a line leaves out) and each output line is {"next": [...]} or {"error": "..."}.
explain prints an English description. Bad input exits with 2.
`;

/** Bad input from the user: printed without a stack, exit code 2. */
class InputError extends Error {}

/** Input that does not even have the command's shape: the usage is printed too. */
class UsageError extends InputError {}

interface NextRequest {
  readonly expr: string;
  readonly tz: string;
  readonly fromMs: number;
  readonly count: number;
}

/**
 * Runs `carillon cron next|explain` with the arguments after `cron` and returns the exit code:
 * 0 on success, 2 on bad usage or input (an invalid expression, zone, instant or count).
 */
export async function runCronCommand(args: string[], io: CommandIo): Promise<number> {
  const [subcommand, ...rest] = args;
  try {
    switch (subcommand) {
      case 'next':
        return await runNext(rest, io);
      case 'explain':
        return runExplain(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return ExitCode.Ok;
      case undefined:
      default:
        throw new UsageError(
          subcommand === undefined ? 'missing subcommand' : `unknown subcommand "${subcommand}"`,
        );
    }
  } catch (error) {
    if (!(error instanceof InputError || error instanceof CarillonError || isArgsError(error))) {
      throw error;
    }
    io.stderr.write(`carillon cron: ${error.message}\n`);
    if (error instanceof UsageError || isArgsError(error)) io.stderr.write(`\n${USAGE}`);
    return ExitCode.Usage;
  }
}

async function runNext(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      tz: { type: 'string' },
      from: { type: 'string' },
      count: { type: 'string' },
      stdin: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    io.stdout.write(USAGE);
    return ExitCode.Ok;
  }
  if (values.tz !== undefined) assertTimeZone(values.tz);
  const defaults = {
    tz: values.tz ?? DEFAULT_TIME_ZONE,
    fromMs: values.from === undefined ? Date.now() : parseInstant(values.from, '--from'),
    count: values.count === undefined ? DEFAULT_COUNT : parseCount(values.count, '--count'),
  };
  if (values.stdin === true) {
    if (positionals.length > 0) throw new UsageError('--stdin takes no expression argument');
    await answerLines(io, defaults);
    return ExitCode.Ok;
  }
  const fires = nextFires({ expr: expressionOf(positionals), ...defaults });
  io.stdout.write(fires.map((fire) => `${fire}\n`).join(''));
  return ExitCode.Ok;
}

function runExplain(args: string[], io: CommandIo): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    io.stdout.write(USAGE);
    return ExitCode.Ok;
  }
  io.stdout.write(`${parseCron(expressionOf(positionals)).describe()}\n`);
  return ExitCode.Ok;
}

/** One JSON line out per line in, in order; a bad line gets an error line, never a stop. */
async function answerLines(io: CommandIo, defaults: Omit<NextRequest, 'expr'>): Promise<void> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    let answer: { next: string[] } | { error: string };
    try {
      answer = { next: nextFires(parseRequestLine(line, defaults)) };
    } catch (error) {
      answer = { error: error instanceof Error ? error.message : String(error) };
    }
    if (!io.stdout.write(`${JSON.stringify(answer)}\n`)) await once(io.stdout, 'drain');
  }
}

function parseRequestLine(line: string, defaults: Omit<NextRequest, 'expr'>): NextRequest {
  if (line.trim() === '') {
    throw new InputError('empty line; expected {"expr", "tz", "from", "count"}');
  }
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch {
    throw new InputError('the line is not JSON; expected {"expr", "tz", "from", "count"}');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InputError('the line is not a JSON object; expected {"expr", "tz", "from", "count"}');
  }
  const fields = input as Record<string, unknown>;
  const unknown = Object.keys(fields).find((key) => !['expr', 'tz', 'from', 'count'].includes(key));
  if (unknown !== undefined) throw new InputError(`unknown field "${unknown}"`);
  const { expr, tz, from, count } = fields;
  if (typeof expr !== 'string') throw new InputError('"expr" must be a string');
  if (tz !== undefined && typeof tz !== 'string') throw new InputError('"tz" must be a string');
  if (from !== undefined && typeof from !== 'string') {
    throw new InputError('"from" must be an ISO-8601 string');
  }
  if (count !== undefined && typeof count !== 'number') {
    throw new InputError('"count" must be a number');
  }
  return {
    expr,
    tz: tz ?? defaults.tz,
    fromMs: from === undefined ? defaults.fromMs : parseInstant(from, '"from"'),
    count: count === undefined ? defaults.count : checkCount(count, '"count"'),
  };
}

function nextFires(request: NextRequest): string[] {
  const schedule = parseCron(request.expr);
  return schedule
    .next(request.fromMs, request.tz, request.count)
    .map((fire) => new Date(fire).toISOString());
}

function expressionOf(positionals: string[]): string {
  // An unquoted expression arrives as several arguments; the shell has already split it.
  if (positionals.length === 0) throw new UsageError('missing the cron expression');
  return positionals.join(' ');
}

function parseCount(text: string, name: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new InputError(`${name} must be an integer, got "${text}"`);
  return checkCount(Number(text), name);
}

function checkCount(count: number, name: string): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new InputError(`${name} must be an integer from 1 to ${MAX_COUNT}, got ${count}`);
  }
  return count;
}

const ISO_INSTANT =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?:[T ](?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2})(?:\.(?<fraction>\d{1,9}))?)?(?<zone>Z|[+-]\d{2}:?\d{2}))?$/i;

/** An ISO-8601 instant: a date (UTC midnight) or a date-time with `Z` or an offset. */
function parseInstant(text: string, name: string): number {
  const invalid = new InputError(
    `${name} must be an ISO-8601 instant such as 2026-03-08T07:00:00Z, got "${text}"`,
  );
  const groups = ISO_INSTANT.exec(text)?.groups;
  if (groups === undefined) throw invalid;
  const field = (key: string): number => Number(groups[key] ?? 0);
  const [year, month, day] = [field('year'), field('month'), field('day')];
  const [hour, minute, second] = [field('hour'), field('minute'), field('second')];
  const date = new Date(Date.UTC(year, month - 1, day));
  const realDate =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!realDate || hour > 23 || minute > 59 || second > 59) throw invalid;
  const ms = Number((groups.fraction ?? '').padEnd(3, '0').slice(0, 3));
  const zone = groups.zone ?? 'Z';
  const offsetMinutes = zone.toUpperCase() === 'Z' ? 0 : zoneOffsetMinutes(zone);
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

function zoneOffsetMinutes(zone: string): number {
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  return zone.startsWith('-') ? -minutes : minutes;
}

function isArgsError(error: unknown): error is Error {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('ERR_PARSE_ARGS_')
  );
}
