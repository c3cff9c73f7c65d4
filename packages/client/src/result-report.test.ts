import { describe, expect, it } from 'vitest';
import { FENCED_ERROR_TYPE } from '@carillon/protocol';
import { AbortReason, ExecutionAbortedError } from './execution-aborted-error.js';
import { NonRetryableError } from './non-retryable-error.js';
import { MAX_RESULT_BYTES, buildResult, truncateUtf8 } from './result-report.js';

const ref = { executionId: 'e-1', attempt: 1 };

describe('buildResult', () => {
  it('turns values into result text', () => {
    expect(buildResult(ref, 5, { ok: true, value: 'text' }, null)).toMatchObject({
      outcome: 'succeeded',
      result: 'text',
      at: 5,
    });
    expect(buildResult(ref, 5, { ok: true, value: [1, 2] }, null).result).toBe('[1,2]');
    expect(buildResult(ref, 5, { ok: true, value: null }, null).result).toBeNull();
  });

  it('fails, without retries, a result it cannot send', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(buildResult(ref, 5, { ok: true, value: circular }, null)).toMatchObject({
      outcome: 'failed',
      error: { type: 'TypeError', retryable: false },
    });
    expect(
      buildResult(ref, 5, { ok: true, value: 'x'.repeat(MAX_RESULT_BYTES + 1) }, null),
    ).toMatchObject({
      outcome: 'failed',
      error: { type: 'ResultTooLargeError', retryable: false },
    });
  });

  it('describes thrown values, errors or not', () => {
    class QuotaError extends NonRetryableError {
      override name = 'QuotaError';
    }
    expect(
      buildResult(ref, 5, { ok: false, error: new QuotaError('over') }, null).error,
    ).toMatchObject({
      type: 'QuotaError',
      message: 'over',
      retryable: false,
    });
    expect(buildResult(ref, 5, { ok: false, error: 'plain string' }, null).error).toEqual({
      type: 'NonErrorThrown',
      message: 'plain string',
      stack: null,
      retryable: true,
    });
  });

  it('reports the abort, not what the handler did afterwards', () => {
    const timedOut = new ExecutionAbortedError(AbortReason.TimedOut, 'too slow');
    expect(buildResult(ref, 5, { ok: true, value: 'late' }, timedOut)).toMatchObject({
      outcome: 'timed_out',
      result: null,
    });
    const fenced = new ExecutionAbortedError(AbortReason.Fenced, 'fenced');
    expect(buildResult(ref, 5, { ok: false, error: fenced }, fenced)).toMatchObject({
      outcome: 'cancelled',
      error: { type: FENCED_ERROR_TYPE, message: 'fenced' },
    });
    const stopping = new ExecutionAbortedError(AbortReason.Stopping, 'stopping');
    expect(buildResult(ref, 5, { ok: false, error: stopping }, stopping).error?.type).toBe(
      'ExecutionAbortedError',
    );
  });
});

describe('truncateUtf8', () => {
  it('keeps short text and cuts long text to the byte limit without splitting a character', () => {
    expect(truncateUtf8('short', 10)).toBe('short');
    const cut = truncateUtf8('é'.repeat(100), 51);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(51);
    expect(cut).toMatch(/^é+ …\[truncated\]$/);
  });
});
