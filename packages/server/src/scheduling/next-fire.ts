import type { Job } from '@carillon/core';
import { parseCron } from '@carillon/core';

/** Computes a job's fire instants; undefined for jobs that fire only on request. */
export type NextFire = (afterMs: number) => number | null;

/**
 * The fire-instant function of a job's trigger, parsed once. Jobs reach the server only
 * through the console, which validated the expression, so a parse error here is a bug.
 */
export function nextFireOf(job: Job): NextFire | undefined {
  const trigger = job.trigger;
  if (trigger.type !== 'cron') return undefined;
  const schedule = parseCron(trigger.cron);
  return (afterMs) => schedule.nextAfter(afterMs, trigger.timeZone);
}
