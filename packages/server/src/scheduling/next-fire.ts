import type { CronSchedule, Job } from '@carillon/core';
import { parseCron } from '@carillon/core';

/** Computes a job's fire instants; undefined for jobs that fire only on request. */
export type NextFire = (afterMs: number) => number | null;

// Jobs often share an expression ("0 0 * * * ?"), and a schedule is immutable but for its
// caches, so one parse serves them all. Past the cap (expressions of endless variety), each
// job parses its own.
const SHARED_SCHEDULES_MAX = 10_000;
const schedules = new Map<string, CronSchedule>();

function scheduleOf(cron: string): CronSchedule {
  const known = schedules.get(cron);
  if (known !== undefined) return known;
  const schedule = parseCron(cron);
  if (schedules.size < SHARED_SCHEDULES_MAX) schedules.set(cron, schedule);
  return schedule;
}

/**
 * The fire-instant function of a job's trigger. Jobs reach the server only through the
 * console, which validated the expression, so a parse error here is a bug.
 */
export function nextFireOf(job: Job): NextFire | undefined {
  const trigger = job.trigger;
  if (trigger.type !== 'cron') return undefined;
  const schedule = scheduleOf(trigger.cron);
  return (afterMs) => schedule.nextAfter(afterMs, trigger.timeZone);
}
