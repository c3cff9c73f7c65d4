// Proleptic Gregorian calendar arithmetic on plain integers, so the cron search never allocates a
// Date or asks Intl anything. Day numbers count from 1970-01-01; "wall seconds" are the seconds of
// a local wall-clock time counted as if that wall clock were UTC.

/** Seconds in a day. */
export const SECONDS_PER_DAY = 86_400;

/** Day-of-week numbers as Quartz uses them: 1 = Sunday ... 7 = Saturday. */
export const Weekday = { Sunday: 1, Saturday: 7 } as const;

/** True for leap years of the Gregorian calendar. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_LENGTHS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Number of days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (MONTH_LENGTHS[month - 1] ?? 31);
}

/** Days from 1970-01-01 to the given date (Howard Hinnant's `days_from_civil`). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * The date of a day number, packed as `year << 9 | month << 5 | day` so the hot path does not
 * allocate; unpack with {@link packedYear}, {@link packedMonth} and {@link packedDay}.
 */
export function civilFromDays(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return (year << 9) | (month << 5) | day;
}

/** The year of a date packed by {@link civilFromDays}. */
export function packedYear(packed: number): number {
  return packed >> 9;
}

/** The month (1-12) of a date packed by {@link civilFromDays}. */
export function packedMonth(packed: number): number {
  return (packed >> 5) & 15;
}

/** The day of the month of a date packed by {@link civilFromDays}. */
export function packedDay(packed: number): number {
  return packed & 31;
}

/** Day of the week of a day number, 1 = Sunday ... 7 = Saturday (1970-01-01 was a Thursday). */
export function weekdayOfDays(days: number): number {
  return ((((days + 4) % 7) + 7) % 7) + 1;
}

/** Day of the week of a date, 1 = Sunday ... 7 = Saturday. */
export function weekdayOf(year: number, month: number, day: number): number {
  return weekdayOfDays(daysFromCivil(year, month, day));
}

/** Wall seconds of a local date and time. */
export function wallSeconds(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  return daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
}

/** The UTC calendar year that contains the instant `epochSeconds`. */
export function utcYearOf(epochSeconds: number): number {
  return packedYear(civilFromDays(Math.floor(epochSeconds / SECONDS_PER_DAY)));
}
