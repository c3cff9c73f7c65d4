import { describe, expect, it } from 'vitest';
import { CarillonError, CoreErrorCode } from '../errors.js';
import { CronField } from './cron-spec.js';
import { parseCronSpec } from './parse-cron-spec.js';

function fieldOfError(expression: string): string {
  try {
    parseCronSpec(expression);
  } catch (error) {
    expect(error).toBeInstanceOf(CarillonError);
    expect((error as CarillonError).code).toBe(CoreErrorCode.InvalidCron);
    return String((error as CarillonError).details.field);
  }
  throw new Error(`"${expression}" was accepted`);
}

describe('parseCronSpec', () => {
  it('expands values, ranges, steps, names and wrapping ranges', () => {
    const spec = parseCronSpec('0/15 5-7,30 22-2/2 ? NOV-FEB MON-FRI 2024-2030/3');
    expect(spec.second.values).toEqual([0, 15, 30, 45]);
    expect(spec.minute.values).toEqual([5, 6, 7, 30]);
    expect(spec.hour.values).toEqual([0, 2, 22]);
    expect(spec.month.values).toEqual([1, 2, 11, 12]);
    expect(spec.days).toMatchObject({ kind: 'daysOfWeek', field: { values: [2, 3, 4, 5, 6] } });
    expect(spec.year?.values).toEqual([2024, 2027, 2030]);
  });

  it('reads the day-of-month specials', () => {
    expect(parseCronSpec('0 0 0 L * ?').days).toEqual({ kind: 'lastDay', offset: 0 });
    expect(parseCronSpec('0 0 0 L-3 * ?').days).toEqual({ kind: 'lastDay', offset: 3 });
    expect(parseCronSpec('0 0 0 lw * ?').days).toEqual({ kind: 'lastWeekday', offset: 0 });
    expect(parseCronSpec('0 0 0 L-2W * ?').days).toEqual({ kind: 'lastWeekday', offset: 2 });
    expect(parseCronSpec('0 0 0 15W * ?').days).toEqual({
      kind: 'nearestWeekday',
      day: 15,
      ignored: [],
    });
  });

  it('reads the day-of-week specials, with 1 = Sunday', () => {
    expect(parseCronSpec('0 0 0 ? * 6L').days).toEqual({ kind: 'lastWeekdayOfMonth', weekday: 6 });
    expect(parseCronSpec('0 0 0 ? * friL').days).toEqual({
      kind: 'lastWeekdayOfMonth',
      weekday: 6,
    });
    expect(parseCronSpec('0 0 0 ? * SUN#2').days).toEqual({
      kind: 'nthWeekday',
      weekday: 1,
      nth: 2,
    });
    expect(parseCronSpec('0 0 0 ? * SAT-SUN').days).toMatchObject({
      field: { values: [1, 7] },
    });
  });

  it('keeps the Quartz quirks that the conformance corpus pins', () => {
    expect(parseCronSpec('0 0 0 1 JANUARY ?').month.values).toEqual([1]);
    expect(parseCronSpec('0 0 0 ? * MONDAY').days).toMatchObject({ field: { values: [2] } });
    expect(parseCronSpec('0 0 0 ? * MON-FRIDAY').days).toMatchObject({
      field: { values: [2, 3, 4, 5, 6] },
    });
    expect(parseCronSpec('0 0 0 15W,20 * ?').days).toEqual({
      kind: 'nearestWeekday',
      day: 15,
      ignored: [20],
    });
    expect(parseCronSpec('0 0 0 ? * L').days).toMatchObject({ field: { values: [7] } });
    expect(parseCronSpec('0 0 0 ? * L-1').days).toMatchObject({ field: { values: [7] } });
    expect(parseCronSpec('*/0 * * * * ?').second.values).toHaveLength(60);
    expect(parseCronSpec('0 0 0 1 1 ? 1969').year?.values).toEqual([]);
    expect(parseCronSpec('0 0 0 1 * ? 2025 whatever else').year?.values).toEqual([2025]);
    expect(parseCronSpec('/20 * * * * ?').second.values).toEqual([0, 20, 40]);
  });

  it('names the missing seconds field of a 5-field (Unix) expression and suggests the Quartz one', () => {
    const cases: [string, string | undefined][] = [
      ['*/5 * * * *', '0 */5 * * * ?'],
      ['30 2 * * MON-FRI', '0 30 2 ? * MON-FRI'],
      ['30 2 1 * 1', undefined],
    ];
    for (const [expression, suggestion] of cases) {
      const error = (() => {
        try {
          parseCronSpec(expression);
        } catch (caught) {
          return caught as CarillonError;
        }
        throw new Error(`${expression} parsed`);
      })();
      expect(error.code, expression).toBe(CoreErrorCode.InvalidCron);
      expect(error.details, expression).toMatchObject({ field: CronField.Second });
      expect(error.details['suggestion'], expression).toBe(suggestion);
      if (suggestion !== undefined) expect(() => parseCronSpec(suggestion)).not.toThrow();
    }
  });

  it('takes spaces and tabs between fields and ignores surrounding whitespace', () => {
    expect(parseCronSpec(' 0\t0  12 * * ?\n').hour.values).toEqual([12]);
  });

  it.each([
    ['', CronField.Second],
    ['* * * * *', CronField.Second],
    ['0 0 12 * ?', CronField.DayOfWeek],
    ['@daily', CronField.Minute],
    ['60 * * * * ?', CronField.Second],
    ['H 0 12 * * ?', CronField.Second],
    ['5X * * * * ?', CronField.Second],
    ['*5 * * * * ?', CronField.Second],
    ['1,,2 * * * * ?', CronField.Second],
    ['0/60 * * * * ?', CronField.Second],
    ['5/0 * * * * ?', CronField.Second],
    ['? * * * * ?', CronField.Second],
    ['L * * * * ?', CronField.Second],
    ['0 60 * * * ?', CronField.Minute],
    ['0 5-10-15 * * * ?', CronField.Minute],
    ['0 0/61 * * * ?', CronField.Minute],
    ['0 0 24 * * ?', CronField.Hour],
    ['0 0 */24 * * ?', CronField.Hour],
    ['0 0 1#2 * * ?', CronField.Hour],
    ['0 0 MON * * ?', CronField.Hour],
    ['0 0 0 0 * ?', CronField.DayOfMonth],
    ['0 0 0 32 * ?', CronField.DayOfMonth],
    ['0 0 0 5-0 * ?', CronField.DayOfMonth],
    ['0 0 0 ?5 * MON', CronField.DayOfMonth],
    ['0 0 0 L,15 * ?', CronField.DayOfMonth],
    ['0 0 0 L5 * ?', CronField.DayOfMonth],
    ['0 0 0 L- * ?', CronField.DayOfMonth],
    ['0 0 0 L-31 * ?', CronField.DayOfMonth],
    ['0 0 0 L-28W * ?', CronField.DayOfMonth],
    ['0 0 0 W * ?', CronField.DayOfMonth],
    ['0 0 0 1-5W * ?', CronField.DayOfMonth],
    ['0 0 0 15W/2 * ?', CronField.DayOfMonth],
    ['0 0 0 1W,2W * ?', CronField.DayOfMonth],
    ['0 0 0 5,20W * ?', CronField.DayOfMonth],
    ['0 0 0 0W * ?', CronField.DayOfMonth],
    ['0 0 0 32W * ?', CronField.DayOfMonth],
    ['0 0 0 5L * ?', CronField.DayOfMonth],
    ['0 0 0 1 0 ?', CronField.Month],
    ['0 0 0 1 13 ?', CronField.Month],
    ['0 0 0 1 XYZ ?', CronField.Month],
    ['0 0 0 1 JAN/2 ?', CronField.Month],
    ['0 0 0 1 JANUARY-MAR ?', CronField.Month],
    ['0 0 0 1 JAN-3 ?', CronField.Month],
    ['0 0 0 1 */13 ?', CronField.Month],
    ['0 34 6 L LW ?', CronField.Month],
    ['0 0 0 ? * 0', CronField.DayOfWeek],
    ['0 0 0 ? * 8', CronField.DayOfWeek],
    ['0 0 0 ? * 0-6', CronField.DayOfWeek],
    ['0 0 0 ? * 1-FRI', CronField.DayOfWeek],
    ['0 0 0 ? * XYZ', CronField.DayOfWeek],
    ['0 0 0 ? * MON-FRI/2', CronField.DayOfWeek],
    ['0 0 0 ? * 6#6', CronField.DayOfWeek],
    ['0 0 0 ? * 6#0', CronField.DayOfWeek],
    ['0 0 0 ? * 8#1', CronField.DayOfWeek],
    ['0 0 0 ? * #3', CronField.DayOfWeek],
    ['0 0 0 ? * 1#1,2#2', CronField.DayOfWeek],
    ['0 0 0 ? * 6#3,2', CronField.DayOfWeek],
    ['0 0 0 ? * 6L,2', CronField.DayOfWeek],
    ['0 0 0 ? * 8L', CronField.DayOfWeek],
    ['0 0 0 ? * LW', CronField.DayOfWeek],
    ['0 0 0 ? * 6LX', CronField.DayOfWeek],
    ['0 0 0 ? * ?,1', CronField.DayOfWeek],
    ['0 0 0 ? * */8', CronField.DayOfWeek],
    ['0 0 0 ? * ?', CronField.DayOfWeek],
    ['0 0 0 * * *', CronField.DayOfWeek],
    ['0 0 0 1 * MON', CronField.DayOfWeek],
    ['0 0 0 L * 6L', CronField.DayOfWeek],
    ['0 0 0 1 1 ? 2030-2025', CronField.Year],
    ['0 0 0 1 1 ? 10000', CronField.Year],
    ['0 0 0 1 1 ? ?', CronField.Year],
    ['0 0 0 1 1 ? L', CronField.Year],
    ['0 0 0 1 1 ? 2024/0', CronField.Year],
  ])('rejects %j in the field %s', (expression, field) => {
    expect(fieldOfError(expression)).toBe(field);
  });

  it('rejects a non-string', () => {
    expect(fieldOfError(42 as unknown as string)).toBe(CronField.Second);
  });
});
