// Carillon's Quartz-compatible cron engine.
//
// Why our own engine rather than a cron library: measured against Quartz's own output (the
// conformance corpus), no npm library passes as it is; each needs a substantial adapter for
// Quartz's day-of-week numbering, wrapping ranges, `L`/`W`/`#` details, the expressions Quartz
// rejects, and its daylight-saving model; and one library loops forever on impossible dates. A
// small engine with one idea per file is simpler to read and to trust than a library plus an
// adapter that fights it. The model, as Quartz's: the expression is evaluated on the local
// wall clock of the job's time zone; wall times inside a spring-forward gap do not exist and are
// skipped; a wall time that occurs twice in a fall-back overlap means the later (standard-time)
// instant. (Where Quartz's lenient calendar steps past an existing time just after a gap that
// is not a whole hour on the hour, as Lord Howe's 30-minute change, this engine fires at it.)
// Every search is bounded by CRON_MAX_YEAR, so no input can hang the engine.
//
// Files: parse-cron-spec (syntax), day-mask (which days of a month fire), wall-clock-search (the
// next wall time), time-zone (offsets, cached per zone and year), describe-cron (English).

import { CarillonError, CoreErrorCode } from '../errors.js';
import type { CronSpec } from './cron-spec.js';
import { CRON_MAX_YEAR, CRON_MIN_YEAR } from './cron-spec.js';
import { describeCronSpec } from './describe-cron.js';
import { parseCronSpec } from './parse-cron-spec.js';
import type { ZoneRules } from './time-zone.js';
import { zoneRules } from './time-zone.js';
import { WallClockSearch } from './wall-clock-search.js';

/**
 * How a schedule treats daylight-saving changes. Only Quartz's behaviour exists today; a per-job
 * policy that does better than Quartz will be added here.
 */
export const DstPolicy = {
  /** Skip wall times in a spring-forward gap; fire once, at the later instant, in an overlap. */
  Quartz: 'quartz',
} as const;

export type DstPolicy = (typeof DstPolicy)[keyof typeof DstPolicy];

/** Options of {@link CronSchedule.nextAfter} and {@link CronSchedule.next}. */
export interface CronEvalOptions {
  /** Default {@link DstPolicy.Quartz}. */
  readonly dstPolicy?: DstPolicy;
}

const DEFAULTS: CronEvalOptions = Object.freeze({ dstPolicy: DstPolicy.Quartz });

/** The most fire times {@link CronSchedule.next} returns in one call. */
export const CRON_MAX_COUNT = 100_000;

// Instants outside these bounds cannot be near a fire: before, the search starts at 1970 anyway;
// after, every wall time is past CRON_MAX_YEAR.
const SEARCH_START_SECONDS = Date.UTC(CRON_MIN_YEAR - 1, 11, 30) / 1000;
const SEARCH_END_SECONDS = Date.UTC(CRON_MAX_YEAR + 1, 0, 2) / 1000;
// Each turn skips one spring-forward gap; two gaps a year for every year the search may cover.
const MAX_GAPS = 2 * (CRON_MAX_YEAR - CRON_MIN_YEAR + 2);

/**
 * A parsed Quartz cron expression (seconds first, optional year), ready to compute fire times in
 * any IANA time zone. Immutable apart from internal caches; share one per expression.
 */
export class CronSchedule {
  /** The expression as given to {@link parseCron}. */
  readonly expression: string;
  readonly #search: WallClockSearch;

  private constructor(spec: CronSpec) {
    // The parsed spec is not kept: a server holds a schedule per job, and `describe` (rare)
    // parses again.
    this.expression = spec.expression;
    this.#search = new WallClockSearch(spec);
  }

  /**
   * Parses a Quartz cron expression; {@link parseCron} is the same function.
   *
   * @throws CarillonError `CARILLON_INVALID_CRON` with `details.field` naming the bad field.
   */
  static parse(expression: string): CronSchedule {
    return new CronSchedule(parseCronSpec(expression));
  }

  /**
   * The first fire time strictly after `afterMs`, in epoch milliseconds (always a whole second),
   * or null when the expression never fires again (by {@link CRON_MAX_YEAR}). Like Quartz, the
   * search starts at the next whole second after `afterMs`.
   *
   * @throws CarillonError `CARILLON_INVALID_TIME_ZONE` for an unknown zone,
   *   `CARILLON_INVALID_ARGUMENT` if `afterMs` is not a finite number.
   * @example parseCron('0 15 10 ? * MON-FRI').nextAfter(Date.parse('2026-03-06T12:00:00Z'), 'Europe/Berlin')
   *   // Date.parse('2026-03-09T09:15:00Z')
   */
  nextAfter(afterMs: number, timeZone: string, options: CronEvalOptions = DEFAULTS): number | null {
    checkInstant(afterMs);
    checkOptions(options);
    return this.#nextAfter(afterMs, zoneRules(timeZone));
  }

  /**
   * Up to `count` fire times after `afterMs`, each the {@link nextAfter} of the one before it;
   * fewer when the expression stops firing.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` unless `count` is an integer from 0 to
   *   {@link CRON_MAX_COUNT}; otherwise as {@link nextAfter}.
   * @example parseCron('0 0 12 * * ?').next(Date.parse('2026-01-01T00:00:00Z'), 'UTC', 2)
   *   // [Date.parse('2026-01-01T12:00:00Z'), Date.parse('2026-01-02T12:00:00Z')]
   */
  next(
    afterMs: number,
    timeZone: string,
    count: number,
    options: CronEvalOptions = DEFAULTS,
  ): number[] {
    checkInstant(afterMs);
    checkOptions(options);
    if (!Number.isInteger(count) || count < 0 || count > CRON_MAX_COUNT) {
      throw new CarillonError(
        CoreErrorCode.InvalidArgument,
        `count must be an integer from 0 to ${CRON_MAX_COUNT}, got ${count}`,
        { details: { field: 'count' } },
      );
    }
    const zone = zoneRules(timeZone);
    const fires: number[] = [];
    let after = afterMs;
    while (fires.length < count) {
      const fire = this.#nextAfter(after, zone);
      if (fire === null) break;
      fires.push(fire);
      after = fire;
    }
    return fires;
  }

  /** An English description, e.g. "At 10:15:00 AM, Monday through Friday". */
  describe(): string {
    return describeCronSpec(parseCronSpec(this.expression));
  }

  toString(): string {
    return this.expression;
  }

  #nextAfter(afterMs: number, zone: ZoneRules): number | null {
    // Quartz adds a second and drops the milliseconds.
    const from = Math.floor(afterMs / 1000) + 1;
    if (from >= SEARCH_END_SECONDS) return null;
    let wall = zone.wallOf(Math.max(from, SEARCH_START_SECONDS));
    for (let gap = 0; gap <= MAX_GAPS; gap++) {
      const match = this.#search.next(wall);
      if (Number.isNaN(match)) return null;
      const instant = zone.instantOf(match);
      if (!Number.isNaN(instant)) return instant * 1000;
      wall = zone.gapEnd(match);
    }
    return null;
  }
}

/**
 * Parses a Quartz cron expression: `second minute hour dayOfMonth month dayOfWeek [year]`, with
 * `*`, `?`, ranges (wrapping ones too: `22-2`, `FRI-MON`), steps, lists, names, day-of-week
 * 1-7 = Sunday-Saturday, `L`, `L-n`, `W`, `LW`, `nL` and `n#k`; exactly one of dayOfMonth and
 * dayOfWeek must be `?`.
 *
 * @throws CarillonError `CARILLON_INVALID_CRON` with `details.field` (second, minute, hour,
 *   dayOfMonth, month, dayOfWeek or year) and a message naming it.
 * @example parseCron('0 0 12 L * ?').describe() // "At 12:00:00 PM, on the last day of the month"
 */
export function parseCron(expression: string): CronSchedule {
  return CronSchedule.parse(expression);
}

/**
 * The English description of a Quartz cron expression.
 *
 * @throws CarillonError `CARILLON_INVALID_CRON` as {@link parseCron}.
 * @example describeCron('0 15 10 ? * 6#3') // "At 10:15:00 AM, on the third Friday of the month"
 */
export function describeCron(expression: string): string {
  return parseCron(expression).describe();
}

function checkInstant(afterMs: number): void {
  if (typeof afterMs !== 'number' || !Number.isFinite(afterMs)) {
    throw new CarillonError(
      CoreErrorCode.InvalidArgument,
      `the instant must be a finite number of epoch milliseconds, got ${String(afterMs)}`,
      { details: { field: 'afterMs' } },
    );
  }
}

function checkOptions(options: CronEvalOptions): void {
  const policy = options.dstPolicy ?? DstPolicy.Quartz;
  if (policy !== DstPolicy.Quartz) {
    throw new CarillonError(
      CoreErrorCode.InvalidArgument,
      `unknown daylight-saving policy "${String(policy)}"`,
      { details: { field: 'dstPolicy' } },
    );
  }
}
