import { FENCED_ERROR_TYPE, Outcome, PROTOCOL_LIMITS } from '@carillon/protocol';
import type { ExecutionRef, HandlerError, ResultReport } from '@carillon/protocol';
import { AbortReason } from './execution-aborted-error.js';
import type { ExecutionAbortedError } from './execution-aborted-error.js';
import { NonRetryableError } from './non-retryable-error.js';

// A message larger than the contract's limit ends the whole stream (RESOURCE_EXHAUSTED), and a
// Result is resent until it arrives, so an oversized one would break every stream it touched.
// These bounds keep each message well below PROTOCOL_LIMITS.maxMessageBytes.
/** The largest result text sent, in UTF-8 bytes; a larger one fails the execution. */
export const MAX_RESULT_BYTES = PROTOCOL_LIMITS.maxMessageBytes / 2;
/** Log lines, error messages and stacks are cut to this many UTF-8 bytes. */
export const MAX_TEXT_BYTES = 64 * 1024;

/** How a handler's promise settled. */
export type Settlement =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/**
 * The Result of one execution: the abort's outcome when the SDK aborted the handler before it
 * settled, else what the handler returned or threw.
 */
export function buildResult(
  ref: ExecutionRef,
  at: number,
  settlement: Settlement,
  abort: ExecutionAbortedError | null,
): ResultReport {
  if (abort !== null) return { kind: 'result', ...ref, at, ...abortedOutcome(abort) };
  if (!settlement.ok) return failed(ref, at, handlerError(settlement.error));
  let text: string | null;
  try {
    text = resultText(settlement.value);
  } catch (error) {
    return failed(ref, at, handlerError(error, false));
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short texts need no measuring.
  if (text !== null && text.length * 3 > MAX_RESULT_BYTES) {
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_RESULT_BYTES) {
      return failed(ref, at, {
        type: 'ResultTooLargeError',
        message: `the result has ${bytes} bytes; at most ${MAX_RESULT_BYTES} are sent`,
        stack: null,
        retryable: false,
      });
    }
  }
  return {
    kind: 'result',
    executionId: ref.executionId,
    attempt: ref.attempt,
    at,
    outcome: Outcome.Succeeded,
    result: text,
    error: null,
  };
}

function failed(ref: ExecutionRef, at: number, error: HandlerError): ResultReport {
  return {
    kind: 'result',
    executionId: ref.executionId,
    attempt: ref.attempt,
    at,
    outcome: Outcome.Failed,
    result: null,
    error,
  };
}

/** The outcome and error of an execution the SDK aborted. */
export function abortedOutcome(
  abort: ExecutionAbortedError,
): Pick<ResultReport, 'outcome' | 'result' | 'error'> {
  // A fenced run is named as such: the server must run it again, not end it as cancelled.
  const type = abort.reason === AbortReason.Fenced ? FENCED_ERROR_TYPE : abort.name;
  return {
    outcome: abort.reason === AbortReason.TimedOut ? Outcome.TimedOut : Outcome.Cancelled,
    result: null,
    error: { type, message: abort.message, stack: null, retryable: true },
  };
}

/** A handler's return value as result text: strings as they are, the rest as JSON. */
function resultText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  const json = JSON.stringify(value) as string | undefined;
  return json ?? null;
}

/** A thrown value as wire data; `retryable` false for a NonRetryableError. */
export function handlerError(error: unknown, retryable?: boolean): HandlerError {
  if (error instanceof Error) {
    const type = typeof error.name === 'string' && error.name.length > 0 ? error.name : 'Error';
    return {
      type: type.slice(0, PROTOCOL_LIMITS.idMaxLength),
      message: truncateUtf8(String(error.message), MAX_TEXT_BYTES),
      stack: typeof error.stack === 'string' ? truncateUtf8(error.stack, MAX_TEXT_BYTES) : null,
      retryable: retryable ?? !isNonRetryable(error),
    };
  }
  return {
    type: 'NonErrorThrown',
    message: truncateUtf8(safeString(error), MAX_TEXT_BYTES),
    stack: null,
    retryable: retryable ?? true,
  };
}

function isNonRetryable(error: Error): boolean {
  return (
    error instanceof NonRetryableError ||
    (error as { nonRetryable?: unknown }).nonRetryable === true
  );
}

function safeString(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
      return value.toString();
    case 'undefined':
      return 'undefined';
    case 'object':
    case 'function':
      try {
        return JSON.stringify(value) ?? Object.prototype.toString.call(value);
      } catch {
        return Object.prototype.toString.call(value);
      }
  }
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, marking the cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no measuring.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text;
  const marker = ' …[truncated]';
  const cut = Buffer.from(text).subarray(0, maxBytes - Buffer.byteLength(marker));
  // A cut through a multi-byte character decodes to U+FFFD; drop it.
  return cut.toString('utf8').replace(/\uFFFD$/, '') + marker;
}
