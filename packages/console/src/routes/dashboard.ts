import type { FastifyInstance } from 'fastify';
import type { Execution } from '@carillon/core';
import type { ConsoleContext } from '../console-context.js';
import { errorResponses } from '../validation/shared-schemas.js';

const WINDOW_MS = 3_600_000;
const MINUTE_MS = 60_000;
// The most executions one answer reads: past it the figures cover the newest ones only and the
// answer says so (`truncated`).
const MAX_READ = 20_000;
const FAILED = new Set(['failed', 'timed_out', 'partially_failed']);

interface JobFigure {
  jobId: number;
  groupId: string;
  runs: number;
  failures: number;
  maxMs: number;
  totalMs: number;
  lastReason: string | null;
}

/** The figures of the dashboard, from the executions of the last hour. */
export interface DashboardFigures {
  readonly from: number;
  readonly to: number;
  readonly truncated: boolean;
  readonly minutes: readonly { at: number; fired: number; succeeded: number; failed: number }[];
  readonly slowest: readonly {
    jobId: number;
    groupId: string;
    runs: number;
    maxMs: number;
    avgMs: number;
  }[];
  readonly failing: readonly {
    jobId: number;
    groupId: string;
    failures: number;
    runs: number;
    lastReason: string | null;
  }[];
}

function figuresOf(
  executions: readonly Execution[],
  now: number,
  truncated: boolean,
): DashboardFigures {
  const from = Math.floor((now - WINDOW_MS) / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const minutes = Array.from({ length: 60 }, (_, i) => ({
    at: from + i * MINUTE_MS,
    fired: 0,
    succeeded: 0,
    failed: 0,
  }));
  const jobs = new Map<number, JobFigure>();
  for (const x of executions) {
    const bucket = minutes[Math.floor((x.scheduledAt - from) / MINUTE_MS)];
    if (bucket === undefined) continue;
    bucket.fired += 1;
    if (x.state === 'succeeded') bucket.succeeded += 1;
    if (FAILED.has(x.state)) bucket.failed += 1;
    let job = jobs.get(x.jobId);
    if (job === undefined) {
      job = {
        jobId: x.jobId,
        groupId: x.groupId,
        runs: 0,
        failures: 0,
        maxMs: 0,
        totalMs: 0,
        lastReason: null,
      };
      jobs.set(x.jobId, job);
    }
    if (x.startedAt !== null && x.finishedAt !== null) {
      const ms = x.finishedAt - x.startedAt;
      job.runs += 1;
      job.totalMs += ms;
      job.maxMs = Math.max(job.maxMs, ms);
    }
    if (FAILED.has(x.state)) {
      job.failures += 1;
      job.lastReason ??= x.reason;
    }
  }
  const all = [...jobs.values()];
  return {
    from,
    to: from + WINDOW_MS,
    truncated,
    minutes,
    slowest: all
      .filter((j) => j.runs > 0)
      .sort((a, b) => b.maxMs - a.maxMs)
      .slice(0, 5)
      .map((j) => ({
        jobId: j.jobId,
        groupId: j.groupId,
        runs: j.runs,
        maxMs: j.maxMs,
        avgMs: Math.round(j.totalMs / j.runs),
      })),
    failing: all
      .filter((j) => j.failures > 0)
      .sort((a, b) => b.failures - a.failures)
      .slice(0, 5)
      .map((j) => ({
        jobId: j.jobId,
        groupId: j.groupId,
        failures: j.failures,
        runs: j.runs,
        lastReason: j.lastReason,
      })),
  };
}

/**
 * `GET /dashboard`: fires per minute and their outcomes over the last hour, the slowest jobs and
 * the failing ones, over the task groups the caller may see.
 */
export function registerDashboardRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get(
    '/dashboard',
    {
      schema: {
        tags: ['executions'],
        summary: 'Fires per minute, success, slowest and failing jobs over the last hour',
        description: `From the executions scheduled in the last hour of the task groups the caller may see (at most ${MAX_READ}, the newest; \`truncated\` says when there were more).`,
        response: {
          200: { type: 'object', additionalProperties: true },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const now = ctx.clock.now();
      const roles = await ctx.stores.groups.rolesOf(user.id);
      const groups = (await ctx.stores.groups.list()).filter(
        (g) => user.isAdmin || roles.has(g.id),
      );
      const read: Execution[] = [];
      let truncated = false;
      for (const group of groups) {
        let cursor: string | null = null;
        for (;;) {
          const page = await ctx.stores.executions.page({
            groupId: group.id,
            from: now - WINDOW_MS,
            limit: 500,
            cursor,
          });
          read.push(...page.items);
          if (read.length >= MAX_READ) truncated = true;
          if (truncated || page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        if (truncated) break;
      }
      return figuresOf(read, now, truncated);
    },
  );
}
