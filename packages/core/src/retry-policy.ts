import type { Random } from './placement/holder-assignment.js';

/** How retry delays grow from one attempt to the next. */
export const RetryBackoff = {
  /** Every retry waits the base delay. */
  Fixed: 'fixed',
  /** The n-th retry waits base × 2^(n-1), up to the cap. */
  Exponential: 'exponential',
} as const;
export type RetryBackoff = (typeof RetryBackoff)[keyof typeof RetryBackoff];

/** When and how often a failed execution (or subtask) runs again. */
export interface RetryPolicy {
  /** Retries after the first attempt; 0: none. */
  readonly maxRetries: number;
  readonly backoff: RetryBackoff;
  /** The first retry's delay (ms). */
  readonly delayMs: number;
  /** No delay is longer (ms), jitter included. */
  readonly maxDelayMs: number;
  /** Fraction 0..1 of each delay taken off at random; see {@link retryDelay}. */
  readonly jitter: number;
}

/**
 * The retry settings of a job that names none. Exponential from 1 s is what servers did before
 * jobs carried their own settings; the cap keeps a delay within what a timer can hold (a
 * `setTimeout` past 2^31 ms fires at once) and within a day.
 */
export const DEFAULT_RETRY_POLICY = {
  backoff: RetryBackoff.Exponential,
  delayMs: 1_000,
  maxDelayMs: 24 * 3600 * 1000,
  jitter: 0,
} as const;

/**
 * The delay before the retry that follows failed attempt `attempt` (from 1): the base delay,
 * doubled per earlier retry when exponential, capped at `maxDelayMs`; then jitter takes a
 * random share of up to `jitter` of it off, so the delay lies in [d × (1 - jitter), d]. A
 * jitter of 1 is "full jitter" (anywhere in [0, d]), 0.5 is "equal jitter" (in [d/2, d]): retries
 * of many executions that failed together spread out, and none waits longer than the cap.
 *
 * @example retryDelay({ maxRetries: 5, backoff: 'exponential', delayMs: 100, maxDelayMs: 1000, jitter: 0 }, 3) // 400
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  random: Random = Math.random,
): number {
  const retries = Math.max(0, Math.floor(attempt) - 1);
  // 2^k overflows to Infinity for large k; Math.min then yields the cap, as it should.
  const grown =
    policy.backoff === RetryBackoff.Exponential ? policy.delayMs * 2 ** retries : policy.delayMs;
  const capped = Math.min(grown, policy.maxDelayMs);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(capped - capped * jitter * random());
}

/**
 * True when failed attempt `attempt` (from 1) is followed by another: the failure is retryable
 * (not a `NonRetryableError`) and the policy has retries left.
 */
export function shouldRetry(policy: RetryPolicy, attempt: number, retryable: boolean): boolean {
  return retryable && attempt <= policy.maxRetries;
}

interface RetryFields {
  readonly maxRetries: number;
  readonly retryBackoff: RetryBackoff;
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly retryJitter: number;
  readonly subtaskMaxRetries: number;
  readonly subtaskRetryBackoff: RetryBackoff;
  readonly subtaskRetryDelayMs: number;
  readonly subtaskRetryMaxDelayMs: number;
  readonly subtaskRetryJitter: number;
}

/** A job's retry policy for its executions. */
export function executionRetryPolicy(job: RetryFields): RetryPolicy {
  return {
    maxRetries: job.maxRetries,
    backoff: job.retryBackoff,
    delayMs: job.retryDelayMs,
    maxDelayMs: job.retryMaxDelayMs,
    jitter: job.retryJitter,
  };
}

/** A parallel job's retry policy for each of its subtasks, apart from its executions'. */
export function subtaskRetryPolicy(job: RetryFields): RetryPolicy {
  return {
    maxRetries: job.subtaskMaxRetries,
    backoff: job.subtaskRetryBackoff,
    delayMs: job.subtaskRetryDelayMs,
    maxDelayMs: job.subtaskRetryMaxDelayMs,
    jitter: job.subtaskRetryJitter,
  };
}
