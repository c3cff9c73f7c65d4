import { Weekday, daysFromCivil, daysInMonth, weekdayOf, weekdayOfDays } from './civil-time.js';
import type { DayRule } from './cron-spec.js';

/**
 * The days of one month on which a day rule fires, as a bit mask: bit d is set when day d (1-31)
 * fires. Quartz's rules, including its oddities, are reproduced here and nowhere else.
 */
export function dayMask(rule: CompiledDayRule, year: number, month: number): number {
  const last = daysInMonth(year, month);
  switch (rule.kind) {
    case 'daysOfMonth':
      return rule.mask & monthBits(last);
    case 'daysOfWeek':
      return (rule.masksByFirstWeekday[weekdayOf(year, month, 1) - 1] ?? 0) & monthBits(last);
    case 'lastDay':
      return bit(last - rule.offset);
    case 'lastWeekday':
      return bit(nearestWeekday(year, month, last - rule.offset, last));
    case 'nearestWeekday':
      return bit(quartzNearestWeekday(year, month, rule.day, last));
    case 'nthWeekday': {
      const first = weekdayOf(year, month, 1);
      const day = 1 + ((rule.weekday - first + 7) % 7) + (rule.nth - 1) * 7;
      return day <= last ? bit(day) : 0;
    }
    case 'lastWeekdayOfMonth': {
      const lastWeekday = weekdayOf(year, month, last);
      return bit(last - ((lastWeekday - rule.weekday + 7) % 7));
    }
  }
}

/**
 * True when Quartz, having passed `month`'s `nW` day, skips the whole next month. Quartz then
 * jumps to day n of the next month; when that month is shorter than n, its lenient calendar lands
 * in the month after, and the next month's only possible fire (the quirk of
 * `quartzNearestWeekday`) is lost. So `29W` never fires in a February reached from January.
 */
export function skipsMonthAfterPassing(
  rule: CompiledDayRule,
  year: number,
  month: number,
): boolean {
  if (rule.kind !== 'nearestWeekday') return false;
  const nextLength = month === 12 ? 31 : daysInMonth(year, month + 1);
  return rule.day > nextLength;
}

/** A day rule with its value sets turned into bit masks once, at parse time. */
export type CompiledDayRule =
  | Exclude<DayRule, { kind: 'daysOfMonth' } | { kind: 'daysOfWeek' }>
  | { readonly kind: 'daysOfMonth'; readonly mask: number }
  /** Index = weekday of the 1st minus 1; each mask marks the days 1-31 that fire. */
  | { readonly kind: 'daysOfWeek'; readonly masksByFirstWeekday: readonly number[] };

/** Compiles a parsed day rule for {@link dayMask}. */
export function compileDayRule(rule: DayRule): CompiledDayRule {
  if (rule.kind === 'daysOfMonth') {
    return {
      kind: 'daysOfMonth',
      mask: rule.field.values.reduce((mask, day) => mask | bit(day), 0),
    };
  }
  if (rule.kind !== 'daysOfWeek') return rule;
  const weekdays = new Set(rule.field.values);
  const masksByFirstWeekday = [1, 2, 3, 4, 5, 6, 7].map((first) => {
    let mask = 0;
    for (let day = 1; day <= 31; day++) {
      if (weekdays.has(((first - 1 + day - 1) % 7) + 1)) mask |= bit(day);
    }
    return mask;
  });
  return { kind: 'daysOfWeek', masksByFirstWeekday };
}

/** The first day at or after `day` set in `mask`, or -1. */
export function nextDayInMask(mask: number, day: number): number {
  if (day > 31) return -1;
  const later = (mask >>> day) << day;
  return later === 0 ? -1 : 31 - Math.clz32(later & -later);
}

/** Bits 1..last. */
function monthBits(last: number): number {
  return (0xffffffff >>> (31 - last)) & ~1;
}

function bit(day: number): number {
  return day >= 1 && day <= 31 ? 1 << day : 0;
}

/** Quartz's `W`: Saturday moves back a day, Sunday forward, never out of the month. */
function nearestWeekday(year: number, month: number, day: number, last: number): number {
  const weekday = weekdayOf(year, month, day);
  if (weekday === Weekday.Saturday) return day === 1 ? 3 : day - 1;
  if (weekday === Weekday.Sunday) return day === last ? day - 2 : day + 1;
  return day;
}

/**
 * `nW` as Quartz 2.3.2 computes it. For a day past the month's end (`31W` in April), Quartz's
 * lenient calendar looks at the matching day of the next month: when `n` is the day right after
 * the last and that day is a Saturday, Quartz steps back one day and fires on the month's last day
 * (`31W` fires on 2027-04-30 because 2027-05-01 is a Saturday); otherwise the month has no fire.
 */
function quartzNearestWeekday(year: number, month: number, day: number, last: number): number {
  if (day <= last) return nearestWeekday(year, month, day, last);
  if (day !== last + 1) return 0;
  const firstOfNextMonth = weekdayOfDays(daysFromCivil(year, month, last) + 1);
  return firstOfNextMonth === Weekday.Saturday ? last : 0;
}
