import { describe, expect, it } from 'vitest';
import type { DayRule } from './cron-spec.js';
import { compileDayRule, dayMask, nextDayInMask } from './day-mask.js';

function days(rule: DayRule, year: number, month: number): number[] {
  const mask = dayMask(compileDayRule(rule), year, month);
  const result: number[] = [];
  for (let day = nextDayInMask(mask, 1); day > 0; day = nextDayInMask(mask, day + 1)) {
    result.push(day);
  }
  return result;
}

const values = (list: number[]): { items: []; values: number[] } => ({ items: [], values: list });

describe('dayMask', () => {
  it('clips days of the month to the month length', () => {
    expect(days({ kind: 'daysOfMonth', field: values([1, 30, 31]) }, 2024, 2)).toEqual([1]);
    expect(days({ kind: 'daysOfMonth', field: values([1, 30, 31]) }, 2024, 4)).toEqual([1, 30]);
  });

  it('maps weekdays with 1 = Sunday', () => {
    // June 2025 starts on a Sunday.
    expect(days({ kind: 'daysOfWeek', field: values([1]) }, 2025, 6)).toEqual([1, 8, 15, 22, 29]);
    expect(days({ kind: 'daysOfWeek', field: values([7]) }, 2025, 6)).toEqual([7, 14, 21, 28]);
  });

  it('applies W without leaving the month', () => {
    // 2026-08-01 is a Saturday, 2026-05-31 a Sunday, 2026-11-15 a Sunday.
    expect(days({ kind: 'nearestWeekday', day: 1, ignored: [] }, 2026, 8)).toEqual([3]);
    expect(days({ kind: 'nearestWeekday', day: 31, ignored: [] }, 2026, 5)).toEqual([29]);
    expect(days({ kind: 'nearestWeekday', day: 15, ignored: [] }, 2026, 11)).toEqual([16]);
    expect(days({ kind: 'lastWeekday', offset: 0 }, 2026, 5)).toEqual([29]);
  });

  it('fires nW past the month end only in the Quartz case', () => {
    // 2027-05-01 is a Saturday; 2026-05-01 a Friday; 2026-03-01 a Sunday.
    expect(days({ kind: 'nearestWeekday', day: 31, ignored: [] }, 2027, 4)).toEqual([30]);
    expect(days({ kind: 'nearestWeekday', day: 31, ignored: [] }, 2026, 4)).toEqual([]);
    expect(days({ kind: 'nearestWeekday', day: 29, ignored: [] }, 2026, 2)).toEqual([]);
    expect(days({ kind: 'nearestWeekday', day: 31, ignored: [] }, 2025, 2)).toEqual([]);
  });

  it('finds L-n, n-th and last weekdays', () => {
    expect(days({ kind: 'lastDay', offset: 30 }, 2024, 2)).toEqual([]);
    expect(days({ kind: 'lastDay', offset: 30 }, 2024, 3)).toEqual([1]);
    expect(days({ kind: 'nthWeekday', weekday: 1, nth: 5 }, 2024, 2)).toEqual([]);
    expect(days({ kind: 'nthWeekday', weekday: 5, nth: 5 }, 2024, 2)).toEqual([29]);
    expect(days({ kind: 'lastWeekdayOfMonth', weekday: 6 }, 2024, 5)).toEqual([31]);
  });

  it('reads day 31 and stops past it', () => {
    expect(nextDayInMask(1 << 31, 1)).toBe(31);
    expect(nextDayInMask(1 << 31, 32)).toBe(-1);
    expect(nextDayInMask(0, 1)).toBe(-1);
  });
});
