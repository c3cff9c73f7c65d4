/** The fields of a Quartz cron expression, in order; `details.field` of a parse error is one. */
export const CronField = {
  Second: 'second',
  Minute: 'minute',
  Hour: 'hour',
  DayOfMonth: 'dayOfMonth',
  Month: 'month',
  DayOfWeek: 'dayOfWeek',
  Year: 'year',
} as const;

export type CronField = (typeof CronField)[keyof typeof CronField];

/** The fields in expression order. */
export const CRON_FIELDS: readonly CronField[] = Object.values(CronField);

/** The first year a cron expression can fire in (as Quartz: `*` in the year field starts here). */
export const CRON_MIN_YEAR = 1970;

/**
 * The last year a cron expression can fire in. Quartz stops at its load year + 100; a fixed bound
 * keeps results reproducible and every search finite.
 */
export const CRON_MAX_YEAR = 2199;

/** One comma-separated item of a field, as written (names already turned into numbers). */
export type CronItem =
  | { readonly kind: 'all' }
  | { readonly kind: 'value'; readonly value: number }
  | { readonly kind: 'range'; readonly from: number; readonly to: number }
  | {
      readonly kind: 'step';
      /** First value; for `*` and `/n` the field's minimum. */
      readonly from: number;
      /** Last value of `a-b/n`; null for `*` / `a` (up to the field's maximum). */
      readonly to: number | null;
      readonly step: number;
    };

/** A parsed plain field: its items (for descriptions) and the sorted values they select. */
export interface CronFieldValues {
  readonly items: readonly CronItem[];
  readonly values: readonly number[];
}

/**
 * How a month's firing days are chosen; exactly one of day-of-month and day-of-week is `?`, so
 * one rule covers both fields.
 */
export type DayRule =
  | { readonly kind: 'daysOfMonth'; readonly field: CronFieldValues }
  | { readonly kind: 'daysOfWeek'; readonly field: CronFieldValues }
  /** `L` (offset 0) or `L-n`. */
  | { readonly kind: 'lastDay'; readonly offset: number }
  /** `LW` (offset 0) or `L-nW`: the weekday nearest the last day (minus the offset). */
  | { readonly kind: 'lastWeekday'; readonly offset: number }
  /** `nW`; `ignored` holds other values of its list, which Quartz ignores. */
  | { readonly kind: 'nearestWeekday'; readonly day: number; readonly ignored: readonly number[] }
  /** `d#n`: the n-th weekday d (1 = Sunday) of the month. */
  | { readonly kind: 'nthWeekday'; readonly weekday: number; readonly nth: number }
  /** `dL`: the last weekday d of the month. */
  | { readonly kind: 'lastWeekdayOfMonth'; readonly weekday: number };

/** A parsed, validated cron expression. Immutable. */
export interface CronSpec {
  readonly expression: string;
  readonly second: CronFieldValues;
  readonly minute: CronFieldValues;
  readonly hour: CronFieldValues;
  readonly month: CronFieldValues;
  readonly days: DayRule;
  /** Null when the year field is absent (every year). */
  readonly year: CronFieldValues | null;
}

/** Limits and names of a plain field. */
export interface FieldRule {
  readonly field: CronField;
  readonly min: number;
  readonly max: number;
  /** Width of a wrapping range (`22-2`); 0 where ranges may not wrap (year). */
  readonly span: number;
  readonly maxStep: number;
  /** Where `*` (stepped or not) starts and `a/n` stops; differs from min/max only for the year. */
  readonly first: number;
  readonly last: number;
  /** Three-letter names, index 0 = `min`. */
  readonly names?: readonly string[];
  /** Full names accepted as well (Quartz reads only the first three letters). */
  readonly longNames?: readonly string[];
}

export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

export const WEEKDAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

const abbreviations = (names: readonly string[]): string[] =>
  names.map((name) => name.slice(0, 3).toUpperCase());
const upper = (names: readonly string[]): string[] => names.map((name) => name.toUpperCase());

function plain(field: CronField, min: number, max: number, maxStep: number): FieldRule {
  return { field, min, max, span: max - min + 1, maxStep, first: min, last: max };
}

/** The plain (non day) fields' rules. Years outside 1970-2199 parse, as in Quartz, but never fire. */
export const FIELD_RULES = {
  second: plain(CronField.Second, 0, 59, 59),
  minute: plain(CronField.Minute, 0, 59, 59),
  hour: plain(CronField.Hour, 0, 23, 23),
  dayOfMonth: plain(CronField.DayOfMonth, 1, 31, 31),
  month: {
    ...plain(CronField.Month, 1, 12, 12),
    names: abbreviations(MONTH_NAMES),
    longNames: upper(MONTH_NAMES),
  },
  dayOfWeek: {
    ...plain(CronField.DayOfWeek, 1, 7, 7),
    names: abbreviations(WEEKDAY_NAMES),
    longNames: upper(WEEKDAY_NAMES),
  },
  year: {
    field: CronField.Year,
    min: 0,
    max: 9999,
    span: 0,
    maxStep: 9999,
    first: CRON_MIN_YEAR,
    last: CRON_MAX_YEAR,
  },
} as const satisfies Record<CronField, FieldRule>;
