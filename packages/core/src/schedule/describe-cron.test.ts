import { describe, expect, it } from 'vitest';
import { CoreErrorCode } from '../errors.js';
import { describeCron, parseCron } from './cron-schedule.js';

describe('describeCron', () => {
  it.each([
    ['0 15 10 ? * MON-FRI', 'At 10:15:00 AM, Monday through Friday'],
    ['0 0 12 * * ?', 'At 12:00:00 PM, every day'],
    ['0 0 6,18 * * ?', 'At 6:00:00 AM and 6:00:00 PM, every day'],
    ['0 10,44 14 ? 3 WED', 'At 2:10:00 PM and 2:44:00 PM, on Wednesday, in March'],
    ['* * * * * ?', 'Every second'],
    ['0/15 * * * * ?', 'Every 15 seconds'],
    ['10 0/5 * * * ?', 'At 10 seconds past the minute, every 5 minutes'],
    ['0 * * * * ?', 'Every minute'],
    ['0 0 * * * ?', 'Every hour, on the hour'],
    ['0 30 * * * ?', 'Every hour, at 30 minutes past the hour'],
    ['0 0/5 14 * * ?', 'Every 5 minutes, between 2:00 PM and 2:59 PM'],
    ['0 50-10 * * * ?', 'Minutes 50 through 59 and 0 through 10 past the hour'],
    [
      '0 0 8-18/2 ? * MON-FRI',
      'On the hour, every 2 hours from 8 AM through 6 PM, Monday through Friday',
    ],
    ['0 0 22-2 * * ?', 'On the hour, every hour from 10 PM through 2 AM'],
    ['0 0 12 ? * FRI-MON', 'At 12:00:00 PM, Friday through Monday'],
    ['0 0 12 ? * 1,7', 'At 12:00:00 PM, on Sunday and Saturday'],
    ['0 11 11 11 11 ?', 'At 11:11:00 AM, on November 11'],
    ['0 0 12 1,15 * ?', 'At 12:00:00 PM, on days 1 and 15 of the month'],
    ['0 0 12 1/5 * ?', 'At 12:00:00 PM, every 5 days from day 1 of the month'],
    ['0 0 0 1 NOV-FEB ?', 'At 12:00:00 AM, on day 1 of the month, from November through February'],
    ['0 0 0 1 */3 ?', 'At 12:00:00 AM, on day 1 of the month, in January, April, July and October'],
    ['0 15 10 L * ?', 'At 10:15:00 AM, on the last day of the month'],
    ['0 15 10 L-2 * ?', 'At 10:15:00 AM, 2 days before the last day of the month'],
    ['0 0 12 LW * ?', 'At 12:00:00 PM, on the last weekday of the month'],
    [
      '0 0 12 L-3W * ?',
      'At 12:00:00 PM, on the weekday nearest 3 days before the last day of the month',
    ],
    ['0 0 12 15W * ?', 'At 12:00:00 PM, on the weekday nearest day 15 of the month'],
    [
      '0 0 0 15W,20 * ?',
      'At 12:00:00 AM, on the weekday nearest day 15 of the month (Quartz ignores 20)',
    ],
    ['0 15 10 ? * 6L', 'At 10:15:00 AM, on the last Friday of the month'],
    ['0 15 10 ? * 6#3', 'At 10:15:00 AM, on the third Friday of the month'],
    ['0 0 12 ? * L', 'At 12:00:00 PM, on Saturday'],
    ['0 15 10 * * ? 2005', 'At 10:15:00 AM, every day, in 2005'],
    [
      '0 15 10 ? * 6L 2002-2005',
      'At 10:15:00 AM, on the last Friday of the month, in 2002 through 2005',
    ],
    [
      '0 0 0 L 2 ? 2024-2032/4',
      'At 12:00:00 AM, on the last day of the month, in February, every 4 years from 2024 through 2032',
    ],
    ['0 0 12 1 1 ? */5', 'At 12:00:00 PM, on January 1, every 5 years from 1970'],
    ['0 0 0 1 1 ? 1969', 'At 12:00:00 AM, on January 1, in 1969 (outside 1970-2199, so never)'],
  ])('%s', (expression, description) => {
    expect(describeCron(expression)).toBe(description);
    expect(parseCron(expression).describe()).toBe(description);
  });

  it('throws InvalidCron for an invalid expression', () => {
    expect(() => describeCron('0 0 25 * * ?')).toThrow(
      expect.objectContaining({ code: CoreErrorCode.InvalidCron }),
    );
  });
});
