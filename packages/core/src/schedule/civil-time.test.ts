import { describe, expect, it } from 'vitest';
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  packedDay,
  packedMonth,
  packedYear,
  utcYearOf,
  weekdayOf,
} from './civil-time.js';

describe('civil time', () => {
  it('agrees with Date.UTC from 1900 to 2300', () => {
    for (let days = -25_567; days < 120_000; days += 13) {
      const date = new Date(days * 86_400_000);
      const packed = civilFromDays(days);
      expect([packedYear(packed), packedMonth(packed), packedDay(packed)]).toEqual([
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
      ]);
      expect(daysFromCivil(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())).toBe(
        days,
      );
      expect(weekdayOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())).toBe(
        date.getUTCDay() + 1,
      );
    }
  });

  it('counts days of months with the Gregorian leap rule', () => {
    expect([2023, 2024, 1900, 2000, 2100].map((year) => daysInMonth(year, 2))).toEqual([
      28, 29, 28, 29, 28,
    ]);
    expect(daysInMonth(2024, 4)).toBe(30);
    expect(daysInMonth(2024, 12)).toBe(31);
  });

  it('finds the UTC year of an instant at the year boundary', () => {
    expect(utcYearOf(Date.UTC(2025, 0, 1) / 1000 - 1)).toBe(2024);
    expect(utcYearOf(Date.UTC(2025, 0, 1) / 1000)).toBe(2025);
  });
});
