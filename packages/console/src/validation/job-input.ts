import type { Trigger } from '@carillon/core';
import { CarillonError, CoreErrorCode, canonicalTimeZone, parseCron } from '@carillon/core';
import { invalidArgument } from '../errors.js';
import { JOB_DEFAULTS } from './job-schemas.js';
import type { TriggerInput } from './job-schemas.js';

// Re-throws a core validation error with the request field in front of its message, keeping
// its code and details, so that the caller sees both which field and what in it is wrong.
function withField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof CarillonError)) throw error;
    throw new CarillonError(error.code, `${field}: ${error.message}`, {
      cause: error,
      details: {
        ...error.details,
        field,
        ...('field' in error.details ? { cronField: String(error.details.field) } : {}),
      },
    });
  }
}

/**
 * Checks a trigger from a request and returns it as stored: a cron trigger's expression must
 * parse and fire at least once after `nowMs`, and its time zone (default UTC) must be known; the
 * zone is stored under its canonical IANA name (`utc` as `UTC`, `Europe/paris` as `Europe/Paris`).
 *
 * @throws CarillonError `CARILLON_INVALID_CRON` (message names the request field and the cron
 *   field; `details.cronField`; "this expression never fires" when it has no fire time left),
 *   `CARILLON_INVALID_TIME_ZONE`.
 */
export function checkTrigger(input: TriggerInput, nowMs: number): Trigger {
  if (input.type === 'api') return { type: 'api' };
  const timeZone = withField('trigger.timeZone', () =>
    canonicalTimeZone(input.timeZone ?? JOB_DEFAULTS.timeZone),
  );
  const schedule = withField('trigger.cron', () => parseCron(input.cron));
  // The engine searches up to CRON_MAX_YEAR: null means no instant is left (30 February, a
  // year in the past or past 2199). Such a job would sit enabled and never run.
  if (schedule.nextAfter(nowMs, timeZone) === null) {
    throw new CarillonError(
      CoreErrorCode.InvalidCron,
      'trigger.cron: this expression never fires',
      {
        details: { field: 'trigger.cron' },
      },
    );
  }
  return { type: 'cron', cron: input.cron, timeZone };
}

/**
 * Checks the size of a job parameter in UTF-8 bytes.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` when it is larger than `maxBytes`.
 */
export function checkParam(field: string, param: string | null, maxBytes: number): string | null {
  if (param !== null) {
    const bytes = Buffer.byteLength(param, 'utf8');
    if (bytes > maxBytes) {
      throw invalidArgument(field, `is ${bytes} bytes; the limit is ${maxBytes} bytes`);
    }
  }
  return param;
}

/** Next fire instants, as the API returns them. */
export interface FireTimesView {
  readonly timeZone: string | null;
  readonly description: string | null;
  readonly items: readonly { readonly at: number; readonly iso: string }[];
}

/**
 * The next `count` fire instants of a cron expression after `afterMs`, in `timeZone`.
 *
 * @throws CarillonError `CARILLON_INVALID_CRON`, `CARILLON_INVALID_TIME_ZONE`.
 */
export function cronFireTimes(
  cron: string,
  timeZone: string,
  afterMs: number,
  count: number,
  fields = { cron: 'cron', timeZone: 'timeZone' },
): FireTimesView {
  const zone = withField(fields.timeZone, () => canonicalTimeZone(timeZone));
  const schedule = withField(fields.cron, () => parseCron(cron));
  const items = schedule
    .next(afterMs, zone, count)
    .map((at) => ({ at, iso: new Date(at).toISOString() }));
  return { timeZone: zone, description: schedule.describe(), items };
}

/** The next fire instants of a job's trigger; none for an API-triggered job. */
export function triggerFireTimes(trigger: Trigger, afterMs: number, count: number): FireTimesView {
  if (trigger.type === 'api') return { timeZone: null, description: null, items: [] };
  return cronFireTimes(trigger.cron, trigger.timeZone, afterMs, count, {
    cron: 'trigger.cron',
    timeZone: 'trigger.timeZone',
  });
}
