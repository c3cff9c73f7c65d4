import { CarillonError, CoreErrorCode } from '../errors.js';
import type { CronFieldValues, CronItem, CronSpec, DayRule, FieldRule } from './cron-spec.js';
import { CRON_FIELDS, CronField, FIELD_RULES } from './cron-spec.js';

// Accepts Quartz 2.3.2's syntax and rejects whatever Quartz rejects. Quartz also accepts much that
// it then ignores (`5X` is 5, `MON-FRI/2` is MON-FRI, `1-5W` is 1-5) or fails on at run time
// (`L` in the month field); those are rejected here, so an expression never means less than it
// says. The oddities kept are the ones users rely on, pinned by the conformance corpus: full names
// (`MONDAY`), `*/0` as `*`, `L-n` in day-of-week as Saturday, `nW` leading a list, years before
// 1970, and tokens after the seventh being ignored.

type Fail = (field: CronField, reason: string) => CarillonError;

/**
 * Parses a Quartz cron expression into its validated, compiled form.
 *
 * @throws CarillonError `CARILLON_INVALID_CRON` with `details.field` naming the first bad field.
 */
export function parseCronSpec(expression: string): CronSpec {
  const fail: Fail = (field, reason) => invalidCron(expression, field, reason);
  if (typeof expression !== 'string') {
    throw fail(CronField.Second, 'the expression is not a string');
  }
  const tokens = expression
    .trim()
    .toUpperCase()
    .split(/[ \t]+/)
    .filter((token) => token !== '');
  const [second, minute, hour, dayOfMonth, month, dayOfWeek, year] = tokens;
  if (
    second === undefined ||
    minute === undefined ||
    hour === undefined ||
    dayOfMonth === undefined ||
    month === undefined ||
    dayOfWeek === undefined
  ) {
    if (tokens.length === 5 && !tokens.some((t) => t.includes('?'))) throw unixCron(expression);
    throw fail(
      CRON_FIELDS[tokens.length] ?? CronField.Second,
      `expected 6 or 7 fields (second minute hour dayOfMonth month dayOfWeek [year]), got ${tokens.length}`,
    );
  }
  const spec = {
    expression,
    second: parseValues(fail, FIELD_RULES.second, second),
    minute: parseValues(fail, FIELD_RULES.minute, minute),
    hour: parseValues(fail, FIELD_RULES.hour, hour),
    month: parseValues(fail, FIELD_RULES.month, month),
  };
  const byMonthDay = dayOfMonth === '?' ? null : parseDayOfMonth(fail, dayOfMonth);
  const byWeekday = dayOfWeek === '?' ? null : parseDayOfWeek(fail, dayOfWeek);
  const years = year === undefined ? null : parseValues(fail, FIELD_RULES.year, year);
  const days = byMonthDay ?? byWeekday;
  if (days === null) {
    throw fail(CronField.DayOfWeek, "dayOfMonth and dayOfWeek are both '?'; one must name days");
  }
  if (byMonthDay !== null && byWeekday !== null) {
    throw fail(
      CronField.DayOfWeek,
      "one of dayOfMonth and dayOfWeek must be '?' (Quartz does not support both)",
    );
  }
  return { ...spec, days, year: years };
}

/**
 * Five fields and no '?': a Unix cron expression. Its first field is the minute, so no single
 * field of it is wrong; what it lacks is Quartz's leading seconds field.
 */
function unixCron(expression: string): CarillonError {
  const [minute, hour, dayOfMonth, month, dayOfWeek] = expression.trim().split(/[ \t]+/);
  // Unix numbers weekdays 0-6 from Sunday, Quartz 1-7: only a '*' day field converts plainly.
  const suggestion =
    dayOfWeek === '*'
      ? `0 ${minute} ${hour} ${dayOfMonth} ${month} ?`
      : dayOfMonth === '*' && !/\d/.test(dayOfWeek ?? '')
        ? `0 ${minute} ${hour} ? ${month} ${dayOfWeek}`
        : undefined;
  const reason =
    'this has 5 fields, like Unix cron; Quartz cron starts with a seconds field ' +
    '(second minute hour dayOfMonth month dayOfWeek [year]) and one of dayOfMonth and dayOfWeek must be ' +
    `'?'${suggestion === undefined ? '' : `: try "${suggestion}"`}`;
  return new CarillonError(
    CoreErrorCode.InvalidCron,
    `invalid cron "${expression}": ${CronField.Second}: ${reason}`,
    {
      details: {
        field: CronField.Second,
        reason,
        ...(suggestion === undefined ? {} : { suggestion }),
      },
    },
  );
}

function invalidCron(expression: string, field: CronField, reason: string): CarillonError {
  return new CarillonError(
    CoreErrorCode.InvalidCron,
    `invalid cron "${expression}": ${field}: ${reason}`,
    { details: { field, reason } },
  );
}

function parseDayOfMonth(fail: Fail, token: string): DayRule {
  const field = CronField.DayOfMonth;
  if (token.includes('?')) throw fail(field, "'?' must stand alone");
  if (token.includes('L')) {
    if (token.includes(',')) {
      throw fail(field, "'L' cannot be combined with other days (Quartz rejects it)");
    }
    const match = /^L(?:-(\d+))?(W?)$/.exec(token);
    if (match === null) throw fail(field, `cannot read "${token}" (use L, L-n, LW or L-nW)`);
    const offset = match[1] === undefined ? 0 : toNumber(match[1]);
    if (offset > 30) throw fail(field, `offset ${match[1]} from the last day is larger than 30`);
    if (match[2] !== 'W') return { kind: 'lastDay', offset };
    if (offset > 27) {
      // Quartz moves to the previous month when L-n falls before the 1st, and can loop forever.
      throw fail(field, `L-${offset}W: the offset of L-nW must be at most 27`);
    }
    return { kind: 'lastWeekday', offset };
  }
  if (!token.includes('W')) {
    return { kind: 'daysOfMonth', field: parseValues(fail, FIELD_RULES.dayOfMonth, token) };
  }
  const items = token.split(',');
  const weekdayItems = items.filter((item) => item.includes('W'));
  const match = weekdayItems.length === 1 ? /^(\d+)W$/.exec(weekdayItems[0] ?? '') : null;
  if (match?.[1] === undefined) {
    throw fail(field, `cannot read "${token}" (one 'nW' day is allowed, as in 15W)`);
  }
  const day = atom(fail, FIELD_RULES.dayOfMonth, match[1], false);
  const others = items.filter((item) => !item.includes('W'));
  const ignored =
    others.length === 0 ? [] : parseValues(fail, FIELD_RULES.dayOfMonth, others.join(',')).values;
  if (ignored.some((value) => value <= day)) {
    // Quartz fires only near the smallest day of such a list, so `5,20W` would mean 5W.
    throw fail(field, `${day}W must be the smallest day of its list (Quartz ignores the others)`);
  }
  return { kind: 'nearestWeekday', day, ignored };
}

function parseDayOfWeek(fail: Fail, token: string): DayRule {
  const field = CronField.DayOfWeek;
  const rule = FIELD_RULES.dayOfWeek;
  if (token.includes('?')) throw fail(field, "'?' must stand alone");
  if (/^L(?:-\d+)?$/.test(token)) {
    // Quartz reads a bare `L` (and `L-n`) in day-of-week as 7, Saturday.
    return { kind: 'daysOfWeek', field: { items: [{ kind: 'value', value: 7 }], values: [7] } };
  }
  if (token.includes('L') || token.includes('#')) {
    if (token.includes(',')) {
      throw fail(field, "'L' and '#' cannot be combined with other days (Quartz rejects it)");
    }
    const last = /^(\d+|[A-Z]{3})L$/.exec(token);
    if (last?.[1] !== undefined) {
      return { kind: 'lastWeekdayOfMonth', weekday: atom(fail, rule, last[1], false) };
    }
    const nth = /^(\d+|[A-Z]{3})#(\d+)$/.exec(token);
    if (nth?.[1] === undefined || nth[2] === undefined) {
      throw fail(field, `cannot read "${token}" (use dL for the last d, d#n for the n-th d)`);
    }
    const weekday = atom(fail, rule, nth[1], false);
    const occurrence = toNumber(nth[2]);
    if (occurrence < 1 || occurrence > 5) {
      throw fail(field, `#${nth[2]}: the occurrence must be between 1 and 5`);
    }
    return { kind: 'nthWeekday', weekday, nth: occurrence };
  }
  return { kind: 'daysOfWeek', field: parseValues(fail, rule, token) };
}

/** Parses a comma-separated list of `*`, values, ranges and steps. */
function parseValues(fail: Fail, rule: FieldRule, token: string): CronFieldValues {
  const items: CronItem[] = [];
  const selected = new Set<number>();
  for (const text of token.split(',')) {
    if (text === '') throw fail(rule.field, `empty item in "${token}"`);
    const item = parseItem(fail, rule, text);
    items.push(item);
    expandItem(rule, item, (value) => selected.add(value));
  }
  const values = [...selected]
    .filter((value) => value >= rule.first && value <= rule.last)
    .sort((a, b) => a - b);
  return { items, values };
}

function parseItem(fail: Fail, rule: FieldRule, text: string): CronItem {
  if (text === '*') return { kind: 'all' };
  const everyStep = /^\*?\/(\d+)$/.exec(text);
  if (everyStep?.[1] !== undefined) {
    const step = toNumber(everyStep[1]);
    // Quartz reads `*/0` as `*`.
    if (step === 0 && text.startsWith('*')) return { kind: 'all' };
    checkStep(fail, rule, step, everyStep[1]);
    return { kind: 'step', from: rule.first, to: null, step };
  }
  const match = /^(\d+|[A-Z]+)(?:-(\d+|[A-Z]+))?(?:\/(\d+))?$/.exec(text);
  if (match?.[1] === undefined || (rule.names === undefined && /[A-Z]/.test(text))) {
    throw fail(rule.field, unreadable(rule, text));
  }
  const [, start, end, step] = match;
  if (end !== undefined && isName(start) !== isName(end)) {
    throw fail(rule.field, `"${text}": a range cannot mix names and numbers`);
  }
  if (isName(start) && (step !== undefined || (end !== undefined && start.length > 3))) {
    // Quartz reads three letters, then stops: `MON/2` is MON, `MONDAY-FRI` is MON.
    throw fail(rule.field, `"${text}": write three-letter names in a range and no step after one`);
  }
  const from = atom(fail, rule, start, end === undefined);
  const to = end === undefined ? null : atom(fail, rule, end, true);
  if (to !== null && to < from && rule.span === 0) {
    throw fail(rule.field, `"${text}": a ${rule.field} range cannot wrap around`);
  }
  if (step === undefined) {
    return to === null ? { kind: 'value', value: from } : { kind: 'range', from, to };
  }
  const stepValue = toNumber(step);
  checkStep(fail, rule, stepValue, step);
  return { kind: 'step', from, to, step: stepValue };
}

function checkStep(fail: Fail, rule: FieldRule, step: number, text: string): void {
  if (step < 1) throw fail(rule.field, 'a step must be at least 1');
  if (step > rule.maxStep) {
    throw fail(rule.field, `step ${text} is larger than ${rule.maxStep}`);
  }
}

function atom(fail: Fail, rule: FieldRule, text: string, longNameAllowed: boolean): number {
  if (!isName(text)) {
    const value = toNumber(text);
    if (value < rule.min || value > rule.max) {
      throw fail(rule.field, `value ${text} is out of range ${rule.min}-${rule.max}`);
    }
    return value;
  }
  if (rule.names === undefined) throw fail(rule.field, unreadable(rule, text));
  let index = rule.names.indexOf(text);
  if (index < 0 && longNameAllowed) index = rule.longNames?.indexOf(text) ?? -1;
  if (index < 0) {
    throw fail(rule.field, `unknown name "${text}" (expected one of ${rule.names.join(' ')})`);
  }
  return rule.min + index;
}

function unreadable(rule: FieldRule, text: string): string {
  if (text.includes('?')) return "'?' is allowed only in dayOfMonth or dayOfWeek";
  if (text.includes('#') && rule.field !== CronField.DayOfWeek) {
    return `cannot read "${text}" ('#' is allowed only in dayOfWeek)`;
  }
  if (rule.names === undefined && rule.field !== CronField.DayOfMonth && /[LW]/.test(text)) {
    return `cannot read "${text}" ('L' and 'W' are allowed only in dayOfMonth and dayOfWeek)`;
  }
  return `cannot read "${text}"`;
}

function expandItem(rule: FieldRule, item: CronItem, add: (value: number) => void): void {
  switch (item.kind) {
    case 'all':
      walk(rule, rule.first, rule.last, 1, add);
      return;
    case 'value':
      add(item.value);
      return;
    case 'range':
      walk(rule, item.from, item.to, 1, add);
      return;
    case 'step':
      walk(rule, item.from, item.to ?? rule.last, item.step, add);
      return;
  }
}

/** Adds `from..to` by `step`; a range whose end is below its start wraps, as in Quartz. */
function walk(
  rule: FieldRule,
  from: number,
  to: number,
  step: number,
  add: (value: number) => void,
): void {
  if (to < from && rule.span === 0) return;
  const end = to < from ? to + rule.span : to;
  for (let value = from; value <= end; value += step) {
    add(value > rule.max ? value - rule.span : value);
  }
}

function isName(text: string): boolean {
  return /^[A-Z]/.test(text);
}

function toNumber(digits: string): number {
  // Past nine digits the exact value does not matter, only that range checks reject it.
  return digits.length > 9 ? Number.MAX_SAFE_INTEGER : Number(digits);
}
