import type { CronFieldValues, CronItem, CronSpec, DayRule } from './cron-spec.js';
import { MONTH_NAMES, WEEKDAY_NAMES } from './cron-spec.js';

// English descriptions for the console and `carillon cron explain`, built from the items as
// written: `0/15` reads "every 15 seconds", not as four values.

interface Unit {
  readonly one: string;
  readonly many: string;
  readonly min: number;
  readonly max: number;
}

const SECOND: Unit = { one: 'second', many: 'seconds', min: 0, max: 59 };
const MINUTE: Unit = { one: 'minute', many: 'minutes', min: 0, max: 59 };
const DAY: Unit = { one: 'day', many: 'days', min: 1, max: 31 };
const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth'] as const;

/** Describes a parsed expression, e.g. "At 10:15:00 AM, Monday through Friday". */
export function describeCronSpec(spec: CronSpec): string {
  const time = describeTime(spec);
  const parts = [time];
  const date = singleDate(spec);
  const days = date ?? describeDays(spec.days);
  if (days !== null) parts.push(days);
  else if (time.startsWith('At ')) parts.push('every day');
  const months = date === null ? describeMonths(spec.month) : null;
  if (months !== null) parts.push(months);
  const years = spec.year === null ? null : describeYears(spec.year);
  if (years !== null) parts.push(years);
  const text = parts.join(', ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "on November 11" for one day of one month. */
function singleDate(spec: CronSpec): string | null {
  if (spec.days.kind !== 'daysOfMonth') return null;
  const [day] = spec.days.field.items;
  const [month] = spec.month.items;
  if (spec.days.field.items.length !== 1 || spec.month.items.length !== 1) return null;
  if (day?.kind !== 'value' || month?.kind !== 'value') return null;
  return `on ${monthName(month.value)} ${day.value}`;
}

function describeTime(spec: CronSpec): string {
  const seconds = singles(spec.second);
  const minutes = singles(spec.minute);
  const hours = singles(spec.hour);
  if (seconds && minutes && hours && seconds.length * minutes.length * hours.length <= 6) {
    const clocks = hours.flatMap((h) => minutes.flatMap((m) => seconds.map((s) => clock(h, m, s))));
    return `At ${joinAnd(clocks)}`;
  }
  if (seconds?.length === 1 && minutes?.length === 1) {
    const [second = 0] = seconds;
    const [minute = 0] = minutes;
    const within =
      minute === 0 && second === 0
        ? 'on the hour'
        : second === 0
          ? `at ${plural(minute, 'minute')} past the hour`
          : `at ${plural(minute, 'minute')} and ${plural(second, 'second')} past the hour`;
    if (isEvery(spec.hour, 24)) return `Every hour, ${within}`;
    return `${within}, ${hourList(spec.hour)}`;
  }
  const clauses: string[] = [];
  const zeroSecond = seconds?.length === 1 && seconds[0] === 0;
  if (isEvery(spec.second, 60)) clauses.push('every second');
  else if (!zeroSecond) clauses.push(fieldClause(spec.second, SECOND, 'past the minute'));
  if (!isEvery(spec.minute, 60)) clauses.push(fieldClause(spec.minute, MINUTE, 'past the hour'));
  else if (zeroSecond) clauses.push('every minute');
  if (!isEvery(spec.hour, 24)) clauses.push(joinAnd(spec.hour.items.map(hourWindow)));
  return clauses.join(', ');
}

function fieldClause(field: CronFieldValues, unit: Unit, suffix: string): string {
  const values = field.items.flatMap((item) => (item.kind === 'value' ? [item.value] : []));
  const phrases: string[] = [];
  if (values.length === 1) phrases.push(`at ${plural(values[0] ?? 0, unit.one)} ${suffix}`);
  if (values.length > 1) phrases.push(`at ${unit.many} ${joinAnd(values.map(String))} ${suffix}`);
  for (const item of field.items) {
    if (item.kind === 'range') {
      phrases.push(`${unit.many} ${span(item.from, item.to, unit)} ${suffix}`);
    }
    if (item.kind === 'step') phrases.push(stepPhrase(item, unit));
  }
  return joinAnd(phrases);
}

function stepPhrase(item: Extract<CronItem, { kind: 'step' }>, unit: Unit): string {
  const every = `every ${item.step} ${item.step === 1 ? unit.one : unit.many}`;
  if (item.to !== null) return `${every} from ${unit.one} ${span(item.from, item.to, unit)}`;
  return item.from === unit.min ? every : `${every} from ${unit.one} ${item.from}`;
}

/** `a through b`; a wrapping range (`50-10`) reads as its two parts. */
function span(from: number, to: number, unit: Unit): string {
  if (to >= from) return `${from} through ${to}`;
  return `${from} through ${unit.max} and ${unit.min} through ${to}`;
}

/** The hours that fire when the minute and second are fixed. */
function hourList(field: CronFieldValues): string {
  const values = field.items.flatMap((item) =>
    item.kind === 'value' ? [hourName(item.value)] : [],
  );
  const phrases = values.length === 0 ? [] : [`at ${joinAnd(values)}`];
  for (const item of field.items) {
    if (item.kind !== 'value') phrases.push(hourItem(item));
  }
  return joinAnd(phrases);
}

function hourItem(item: Exclude<CronItem, { kind: 'value' }>): string {
  switch (item.kind) {
    case 'all':
      return 'every hour';
    case 'range':
      return `every hour from ${hourName(item.from)} through ${hourName(item.to)}`;
    case 'step': {
      const every = item.step === 1 ? 'every hour' : `every ${item.step} hours`;
      if (item.to !== null) {
        return `${every} from ${hourName(item.from)} through ${hourName(item.to)}`;
      }
      return item.from === 0 ? every : `${every} from ${hourName(item.from)}`;
    }
  }
}

/** An hour item when minutes or seconds repeat: the window of time it opens. */
function hourWindow(item: CronItem): string {
  switch (item.kind) {
    case 'value':
      return `between ${clock(item.value, 0)} and ${clock(item.value, 59)}`;
    case 'range':
      return `between ${clock(item.from, 0)} and ${clock(item.to, 59)}`;
    case 'all':
    case 'step':
      return hourItem(item);
  }
}

function describeDays(rule: DayRule): string | null {
  switch (rule.kind) {
    case 'daysOfMonth':
      return isEvery(rule.field, 31) ? null : dayOfMonthList(rule.field);
    case 'daysOfWeek':
      return isEvery(rule.field, 7) ? null : weekdays(rule.field);
    case 'lastDay':
      return rule.offset === 0
        ? 'on the last day of the month'
        : `${plural(rule.offset, 'day')} before the last day of the month`;
    case 'lastWeekday':
      return rule.offset === 0
        ? 'on the last weekday of the month'
        : `on the weekday nearest ${plural(rule.offset, 'day')} before the last day of the month`;
    case 'nearestWeekday': {
      const ignored =
        rule.ignored.length === 0 ? '' : ` (Quartz ignores ${joinAnd(rule.ignored.map(String))})`;
      return `on the weekday nearest day ${rule.day} of the month${ignored}`;
    }
    case 'nthWeekday':
      return `on the ${ORDINALS[rule.nth - 1] ?? `${rule.nth}th`} ${weekdayName(rule.weekday)} of the month`;
    case 'lastWeekdayOfMonth':
      return `on the last ${weekdayName(rule.weekday)} of the month`;
  }
}

function dayOfMonthList(field: CronFieldValues): string {
  const values = field.items.flatMap((item) => (item.kind === 'value' ? [item.value] : []));
  const phrases: string[] = [];
  if (values.length > 0) {
    phrases.push(`on ${values.length === 1 ? 'day' : 'days'} ${joinAnd(values.map(String))}`);
  }
  for (const item of field.items) {
    if (item.kind === 'range') phrases.push(`on days ${span(item.from, item.to, DAY)}`);
    if (item.kind === 'step') {
      const every = item.step === 1 ? 'every day' : `every ${item.step} days`;
      const days = item.to === null ? String(item.from) : span(item.from, item.to, DAY);
      phrases.push(`${every} from day ${days}`);
    }
  }
  return `${joinAnd(phrases)} of the month`;
}

function weekdays(field: CronFieldValues): string {
  const [only] = field.items;
  if (field.items.length === 1 && only?.kind === 'range') {
    return `${weekdayName(only.from)} through ${weekdayName(only.to)}`;
  }
  return `on ${joinAnd(field.values.map(weekdayName))}`;
}

function describeMonths(field: CronFieldValues): string | null {
  if (isEvery(field, 12)) return null;
  const [only] = field.items;
  if (field.items.length === 1 && only?.kind === 'range') {
    return `from ${monthName(only.from)} through ${monthName(only.to)}`;
  }
  return `in ${joinAnd(field.values.map(monthName))}`;
}

function describeYears(field: CronFieldValues): string | null {
  if (field.items.some((item) => item.kind === 'all')) return null;
  const listed = field.items.flatMap((item) => {
    if (item.kind === 'value') return [String(item.value)];
    if (item.kind === 'range') return [`${item.from} through ${item.to}`];
    return [];
  });
  const phrases = listed.length === 0 ? [] : [`in ${joinAnd(listed)}`];
  for (const item of field.items) {
    if (item.kind !== 'step') continue;
    const every = `${item.step === 1 ? 'every year' : `every ${item.step} years`} from ${item.from}`;
    phrases.push(item.to === null ? every : `${every} through ${item.to}`);
  }
  const never = field.values.length === 0 ? ' (outside 1970-2199, so never)' : '';
  return `${joinAnd(phrases)}${never}`;
}

/** The values of a field made only of single values, else null. */
function singles(field: CronFieldValues): readonly number[] | null {
  return field.items.every((item) => item.kind === 'value') ? field.values : null;
}

function isEvery(field: CronFieldValues, size: number): boolean {
  return field.items.some((item) => item.kind === 'all') || field.values.length === size;
}

function clock(hour: number, minute: number, second?: number): string {
  const pad = (value: number): string => String(value).padStart(2, '0');
  const time =
    second === undefined
      ? `${hour % 12 || 12}:${pad(minute)}`
      : `${hour % 12 || 12}:${pad(minute)}:${pad(second)}`;
  return `${time} ${hour < 12 ? 'AM' : 'PM'}`;
}

function hourName(hour: number): string {
  return `${hour % 12 || 12} ${hour < 12 ? 'AM' : 'PM'}`;
}

function weekdayName(weekday: number): string {
  return WEEKDAY_NAMES[weekday - 1] ?? String(weekday);
}

function monthName(month: number): string {
  return MONTH_NAMES[month - 1] ?? String(month);
}

function plural(count: number, unit: string): string {
  return `${count} ${count === 1 ? unit : `${unit}s`}`;
}

function joinAnd(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1] ?? ''}`;
}
