import {
  SECONDS_PER_DAY,
  civilFromDays,
  daysInMonth,
  packedDay,
  packedMonth,
  packedYear,
  wallSeconds,
} from './civil-time.js';
import type { CronSpec } from './cron-spec.js';
import { CRON_MAX_YEAR, CRON_MIN_YEAR } from './cron-spec.js';
import type { CompiledDayRule } from './day-mask.js';
import { compileDayRule, dayMask, nextDayInMask, skipsMonthAfterPassing } from './day-mask.js';

// Far more loop turns than any expression needs before CRON_MAX_YEAR (a year costs at most a
// few dozen); only a bug could reach it, and then the search ends instead of hanging.
const MAX_TURNS = 100_000;

/**
 * Finds the first local wall-clock time at or after a given one that a cron expression selects.
 * Works on calendar fields only, stepping field by field (year, month, day, hour, minute, second)
 * with lookup tables built once; time zones are the caller's business.
 */
export class WallClockSearch {
  readonly #seconds: Int8Array;
  readonly #minutes: Int8Array;
  readonly #hours: Int8Array;
  readonly #months: Int8Array;
  readonly #years: Int16Array;
  readonly #days: CompiledDayRule;
  #maskMonth = -1;
  #mask = 0;

  constructor(spec: CronSpec) {
    this.#seconds = nextTable(spec.second.values, 60);
    this.#minutes = nextTable(spec.minute.values, 60);
    this.#hours = nextTable(spec.hour.values, 24);
    this.#months = nextTable(spec.month.values, 13);
    this.#years = yearTable(spec.year?.values ?? null);
    this.#days = compileDayRule(spec.days);
  }

  /**
   * The first selected wall time at or after `fromWall`, both in wall seconds (local time counted
   * as if it were UTC), or NaN when there is none up to {@link CRON_MAX_YEAR}.
   */
  next(fromWall: number): number {
    const days = Math.floor(fromWall / SECONDS_PER_DAY);
    const date = civilFromDays(days);
    let year = packedYear(date);
    let month = packedMonth(date);
    let day = packedDay(date);
    let rest = fromWall - days * SECONDS_PER_DAY;
    let hour = Math.floor(rest / 3600);
    rest -= hour * 3600;
    let minute = Math.floor(rest / 60);
    let second = rest - minute * 60;

    for (let turn = 0; turn < MAX_TURNS; turn++) {
      if (year > CRON_MAX_YEAR) return NaN;
      const nextYear = this.#years[Math.max(year, CRON_MIN_YEAR) - CRON_MIN_YEAR] ?? -1;
      if (nextYear < 0) return NaN;
      if (nextYear !== year) {
        year = nextYear;
        month = day = 1;
        hour = minute = second = 0;
      }
      const nextMonth = this.#months[month] ?? -1;
      if (nextMonth < 0) {
        year++;
        month = day = 1;
        hour = minute = second = 0;
        continue;
      }
      if (nextMonth !== month) {
        // Only a start in a month that never fires gets here mid-month; Quartz still applies
        // its day rule to that month first.
        const skip =
          nextMonth === month + 1 &&
          this.#passedSkippingDay(year, month, day, hour, minute, second);
        month = skip ? nextMonth + 1 : nextMonth;
        day = 1;
        hour = minute = second = 0;
        if (skip) continue;
      }
      const mask = this.#monthMask(year, month);
      const nextDay = nextDayInMask(mask, day);
      if (nextDay < 0) {
        const passed = mask !== 0 && day <= daysInMonth(year, month);
        month += passed && skipsMonthAfterPassing(this.#days, year, month) ? 2 : 1;
        day = 1;
        hour = minute = second = 0;
        continue;
      }
      if (nextDay !== day) {
        day = nextDay;
        hour = minute = second = 0;
      }
      const nextHour = this.#hours[hour] ?? -1;
      if (nextHour < 0) {
        day++;
        hour = minute = second = 0;
        continue;
      }
      if (nextHour !== hour) {
        hour = nextHour;
        minute = second = 0;
      }
      const nextMinute = this.#minutes[minute] ?? -1;
      if (nextMinute < 0) {
        hour++;
        minute = second = 0;
        continue;
      }
      if (nextMinute !== minute) {
        minute = nextMinute;
        second = 0;
      }
      const nextSecond = this.#seconds[second] ?? -1;
      if (nextSecond < 0) {
        minute++;
        second = 0;
        continue;
      }
      const time = hour * 3600 + minute * 60 + nextSecond;
      // Most searches end on the day they began; skip the calendar arithmetic then.
      if (((year << 9) | (month << 5) | day) === date) return days * SECONDS_PER_DAY + time;
      return wallSeconds(year, month, day, 0, 0, 0) + time;
    }
    return NaN;
  }

  /**
   * Whether a start at this point of a month is past the month's `nW` day in a way that makes
   * Quartz skip the next month (see skipsMonthAfterPassing): after the day, or on it with no
   * time of day left.
   */
  #passedSkippingDay(
    year: number,
    month: number,
    day: number,
    hour: number,
    minute: number,
    second: number,
  ): boolean {
    if (!skipsMonthAfterPassing(this.#days, year, month)) return false;
    const candidate = nextDayInMask(dayMask(this.#days, year, month), 1);
    if (candidate < 0 || day < candidate) return false;
    return day > candidate || !this.#timeLeftInDay(hour, minute, second);
  }

  /** Whether the hour, minute and second tables select a time of day at or after this one. */
  #timeLeftInDay(hour: number, minute: number, second: number): boolean {
    const nextHour = this.#hours[hour] ?? -1;
    if (nextHour !== hour) return nextHour > hour;
    if (this.#minutes[minute] === minute && (this.#seconds[second] ?? -1) >= 0) return true;
    if ((this.#minutes[minute + 1] ?? -1) >= 0) return true;
    return (this.#hours[hour + 1] ?? -1) >= 0;
  }

  #monthMask(year: number, month: number): number {
    const key = year * 16 + month;
    if (key !== this.#maskMonth) {
      this.#mask = dayMask(this.#days, year, month);
      this.#maskMonth = key;
    }
    return this.#mask;
  }
}

// Lookup tables are never written after they are built, so schedules share them: a server
// holding a million jobs keeps a few hundred distinct tables instead of five per job. Past the
// cap (expressions of endless variety), new tables are simply not shared.
const SHARED_TABLES_MAX = 10_000;
const sharedTables = new Map<string, Int8Array | Int16Array>();

function shared<T extends Int8Array | Int16Array>(key: string, build: () => T): T {
  const known = sharedTables.get(key) as T | undefined;
  if (known !== undefined) return known;
  const table = build();
  if (sharedTables.size < SHARED_TABLES_MAX) sharedTables.set(key, table);
  return table;
}

/**
 * `table[v]` is the smallest selected value >= v, or -1; `table[limit]` is -1 so that stepping
 * past the last value (minute 60, hour 24, month 13) reads as "none left".
 */
function nextTable(values: readonly number[], limit: number): Int8Array {
  return shared(`${limit}:${values.join(',')}`, () => {
    const table = new Int8Array(limit + 1).fill(-1);
    let next = -1;
    for (let value = limit - 1; value >= 0; value--) {
      if (values.includes(value)) next = value;
      table[value] = next;
    }
    return table;
  });
}

/** `table[y - CRON_MIN_YEAR]` is the first selected year >= y, or -1; `null` selects every year. */
function yearTable(years: readonly number[] | null): Int16Array {
  return shared(`years:${years === null ? '*' : years.join(',')}`, () => {
    const table = new Int16Array(CRON_MAX_YEAR - CRON_MIN_YEAR + 1);
    let next = -1;
    for (let year = CRON_MAX_YEAR; year >= CRON_MIN_YEAR; year--) {
      if (years === null || years.includes(year)) next = year;
      table[year - CRON_MIN_YEAR] = next;
    }
    return table;
  });
}
