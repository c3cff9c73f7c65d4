import { CarillonError, CoreErrorCode } from '../errors.js';
import { SECONDS_PER_DAY, daysFromCivil, utcYearOf } from './civil-time.js';

// Intl is the only source of zone data in JavaScript, and it is slow (microseconds a call). So a
// zone asks Intl once per calendar year it is used in: the offset at every UTC midnight of the
// year, and a bisection to the second wherever two midnights differ. After that an offset is a
// table lookup. (The one assumption: a zone never changes its offset and changes it back within
// the same UTC day, which would go unseen.)

const TABLE_MIN_YEAR = 1900;
const TABLE_MAX_YEAR = 2202;
// Past this many distinct spellings of zone names (`utc`, `Utc`, ...), new ones are not cached.
const MAX_CACHED_NAMES = 4096;

interface YearTable {
  readonly start: number;
  readonly end: number;
  readonly startOffset: number;
  /** Transition instants (epoch seconds) within the year, ascending, and the offsets they begin. */
  readonly at: readonly number[];
  readonly offsets: readonly number[];
}

/**
 * The UTC offsets of one IANA time zone, with the conversions the cron engine needs between
 * instants and local wall-clock times. Obtain one with {@link zoneRules}.
 */
export class ZoneRules {
  /** The canonical IANA name (`US/Eastern` becomes `America/New_York`). */
  readonly name: string;
  readonly #format: Intl.DateTimeFormat | null;
  readonly #years: (YearTable | undefined)[] = [];
  // The last period looked up: the hot path asks about the same few hours again and again.
  #periodStart = 0;
  #periodEnd = 0;
  #periodOffset = 0;

  constructor(name: string, format: Intl.DateTimeFormat | null) {
    this.name = name;
    this.#format = format;
  }

  /** The zone's UTC offset in seconds at the instant `epochSeconds`. */
  offsetAt(epochSeconds: number): number {
    if (this.#format === null) return 0;
    if (epochSeconds >= this.#periodStart && epochSeconds < this.#periodEnd) {
      return this.#periodOffset;
    }
    const table = this.#table(utcYearOf(epochSeconds));
    let offset = table.startOffset;
    let start = table.start;
    let end = table.end;
    for (let i = 0; i < table.at.length; i++) {
      const at = table.at[i] ?? end;
      if (epochSeconds < at) {
        end = at;
        break;
      }
      start = at;
      offset = table.offsets[i] ?? offset;
    }
    this.#periodStart = start;
    this.#periodEnd = end;
    this.#periodOffset = offset;
    return offset;
  }

  /** The local wall-clock time (wall seconds) of an instant. */
  wallOf(epochSeconds: number): number {
    return epochSeconds + this.offsetAt(epochSeconds);
  }

  /**
   * The instant of a local wall-clock time, with Quartz's reading of daylight-saving changes: a
   * wall time that occurs twice (fall back) is the later, standard-time instant; a wall time
   * that does not exist (spring forward) gives NaN.
   */
  instantOf(wall: number): number {
    const before = this.offsetAt(wall - SECONDS_PER_DAY);
    const after = this.offsetAt(wall + SECONDS_PER_DAY);
    if (before === after) return wall - before;
    const small = Math.min(before, after);
    const large = Math.max(before, after);
    if (this.offsetAt(wall - small) === small) return wall - small;
    if (this.offsetAt(wall - large) === large) return wall - large;
    return NaN;
  }

  /** The first existing wall time after the spring-forward gap that contains `wall`. */
  gapEnd(wall: number): number {
    const after = Math.max(
      this.offsetAt(wall - SECONDS_PER_DAY),
      this.offsetAt(wall + SECONDS_PER_DAY),
    );
    const transition = this.#transitionAfter(wall - after);
    return transition + this.offsetAt(transition);
  }

  #transitionAfter(epochSeconds: number): number {
    const first = utcYearOf(epochSeconds);
    for (let year = first; year <= first + 1; year++) {
      const table = this.#table(year);
      const at = table.at.find((instant) => instant > epochSeconds);
      if (at !== undefined) return at;
    }
    // Only reached if the tables missed a transition; one second on keeps the search moving.
    return epochSeconds + 1;
  }

  #table(year: number): YearTable {
    const clamped = Math.min(Math.max(year, TABLE_MIN_YEAR), TABLE_MAX_YEAR);
    const index = clamped - TABLE_MIN_YEAR;
    let table = this.#years[index];
    if (table === undefined) {
      table = this.#buildTable(clamped);
      this.#years[index] = table;
    }
    return table;
  }

  #buildTable(year: number): YearTable {
    const start = daysFromCivil(year, 1, 1) * SECONDS_PER_DAY;
    const end = daysFromCivil(year + 1, 1, 1) * SECONDS_PER_DAY;
    const at: number[] = [];
    const offsets: number[] = [];
    const startOffset = this.#intlOffset(start);
    let previous = start;
    let previousOffset = startOffset;
    for (let sample = start + SECONDS_PER_DAY; sample <= end; sample += SECONDS_PER_DAY) {
      const offset = this.#intlOffset(sample);
      let low = previous;
      let lowOffset = previousOffset;
      while (lowOffset !== offset) {
        let high = sample;
        while (high - low > 1) {
          const middle = Math.floor((low + high) / 2);
          if (this.#intlOffset(middle) === lowOffset) low = middle;
          else high = middle;
        }
        lowOffset = this.#intlOffset(high);
        low = high;
        // A transition exactly at the next year's start belongs to that year's table.
        if (high < end) {
          at.push(high);
          offsets.push(lowOffset);
        }
      }
      previous = sample;
      previousOffset = offset;
    }
    return { start, end, startOffset, at, offsets };
  }

  #intlOffset(epochSeconds: number): number {
    if (this.#format === null) return 0;
    const text = this.#format.format(epochSeconds * 1000);
    // en-US numeric: month/day/year, hour:minute:second.
    const parts = /(\d+)\D+(\d+)\D+(\d+)\D+(\d+)\D+(\d+)\D+(\d+)/.exec(text);
    if (parts === null) throw new Error(`unexpected Intl output "${text}" for ${this.name}`);
    const [, month, day, year, hour, minute, second] = parts.map(Number);
    const local = Date.UTC(year ?? 0, (month ?? 1) - 1, day, (hour ?? 0) % 24, minute, second);
    return local / 1000 - epochSeconds;
  }
}

const zones = new Map<string, ZoneRules>();

/**
 * The rules of the IANA time zone `name` (any spelling Intl accepts: `America/New_York`,
 * `america/new_york`, `US/Eastern`, `UTC`), shared and cached for the life of the process.
 *
 * @throws CarillonError `CARILLON_INVALID_TIME_ZONE` if the runtime does not know the zone.
 */
export function zoneRules(name: string): ZoneRules {
  const cached = zones.get(name);
  if (cached !== undefined) return cached;
  let canonical: string;
  try {
    if (typeof name !== 'string' || name === '') throw new RangeError('empty time zone');
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch (error) {
    throw new CarillonError(CoreErrorCode.InvalidTimeZone, `unknown time zone "${String(name)}"`, {
      cause: error,
      details: { timeZone: String(name) },
    });
  }
  let rules = zones.get(canonical);
  if (rules === undefined) {
    rules = new ZoneRules(canonical, canonical === 'UTC' ? null : offsetFormat(canonical));
    zones.set(canonical, rules);
  }
  if (zones.size < MAX_CACHED_NAMES) zones.set(name, rules);
  return rules;
}

function offsetFormat(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

/**
 * Checks that `timeZone` is an IANA time zone the runtime knows (`Europe/Berlin`, `UTC`).
 *
 * @throws CarillonError `CARILLON_INVALID_TIME_ZONE` otherwise, with `details.timeZone`.
 * @example assertTimeZone('America/New_York'); // returns; assertTimeZone('Mars/Base') throws
 */
export function assertTimeZone(timeZone: string): void {
  zoneRules(timeZone);
}

/**
 * The canonical IANA name of a time zone, as Intl resolves it: `utc` becomes `UTC`,
 * `Europe/paris` becomes `Europe/Paris`, `US/Eastern` becomes `America/New_York`.
 *
 * @throws CarillonError `CARILLON_INVALID_TIME_ZONE` if the runtime does not know the zone.
 * @example canonicalTimeZone('europe/PARIS') // 'Europe/Paris'
 */
export function canonicalTimeZone(timeZone: string): string {
  return zoneRules(timeZone).name;
}
