import { LogLevel } from '@carillon/core';
import type {
  AcceptedReport,
  ClientMessage,
  ClientReport,
  HandlerError,
  HandlerInfo,
  Hello,
  LogReport,
  ProgressReport,
  RefusedReport,
  ResultReport,
  StartedReport,
  SubtaskChunkReport,
} from './client-message.js';
import { Outcome, RefuseReason } from './client-message.js';
import { ProtocolErrorCode, decodeSafely, protocolError } from './errors.js';
import type { Decoded } from './errors.js';
import { EnumMapping, FieldChecker } from './field-checker.js';
import { LABEL_PATTERN, PROTOCOL_LIMITS } from './protocol-limits.js';
import type {
  ClientMessage as WireClientMessage,
  ClientMessage__Output as WireClientMessageOutput,
} from './generated/carillon/v1/ClientMessage.js';
import type {
  HandlerError as WireHandlerError,
  HandlerError__Output as WireHandlerErrorOutput,
} from './generated/carillon/v1/HandlerError.js';
import type { Hello__Output as WireHelloOutput } from './generated/carillon/v1/Hello.js';
import type { LogLevel__Output as WireLogLevel } from './generated/carillon/v1/LogLevel.js';
import type { Outcome__Output as WireOutcome } from './generated/carillon/v1/Outcome.js';
import type { RefuseReason__Output as WireRefuseReason } from './generated/carillon/v1/RefuseReason.js';
import type {
  Report as WireReport,
  Report__Output as WireReportOutput,
} from './generated/carillon/v1/Report.js';

const OUTCOMES = new EnumMapping<Outcome, WireOutcome>({
  [Outcome.Succeeded]: 'OUTCOME_SUCCEEDED',
  [Outcome.Failed]: 'OUTCOME_FAILED',
  [Outcome.Cancelled]: 'OUTCOME_CANCELLED',
  [Outcome.TimedOut]: 'OUTCOME_TIMED_OUT',
});

const REFUSE_REASONS = new EnumMapping<RefuseReason, WireRefuseReason>({
  [RefuseReason.AtCapacity]: 'REFUSE_REASON_AT_CAPACITY',
  [RefuseReason.UnknownHandler]: 'REFUSE_REASON_UNKNOWN_HANDLER',
  [RefuseReason.Stopping]: 'REFUSE_REASON_STOPPING',
});

const LOG_LEVELS = new EnumMapping<LogLevel, WireLogLevel>({
  [LogLevel.Debug]: 'LOG_LEVEL_DEBUG',
  [LogLevel.Info]: 'LOG_LEVEL_INFO',
  [LogLevel.Warn]: 'LOG_LEVEL_WARN',
  [LogLevel.Error]: 'LOG_LEVEL_ERROR',
});

const incoming = new FieldChecker(ProtocolErrorCode.Malformed);
const outgoing = new FieldChecker(ProtocolErrorCode.InvalidOutgoing);

/**
 * Checks a client message and turns it into its wire form (what the gRPC stream writes).
 *
 * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when a field breaks the contract
 *   (an empty execution id, attempt 0, an instant beyond 2^53 - 1, a fraction above 1, ...).
 */
export function encodeClientMessage(message: ClientMessage): WireClientMessage {
  const c = outgoing;
  if (message.kind === 'hello') return { hello: checkHello(c, message) };
  if (message.kind !== 'heartbeat') return encodeClientReport(message);
  return {
    heartbeat: {
      atMs: c.instant('heartbeat.at_ms', message.at),
      inFlight: c.int32('heartbeat.in_flight', message.inFlight, 0),
      capacity: c.int32('heartbeat.capacity', message.capacity, 0),
      handlers: c.list('heartbeat.handlers', message.handlers, (load, field) => ({
        name: c.id(`${field}.name`, load.name, PROTOCOL_LIMITS.handlerMaxLength),
        inFlight: c.int32(`${field}.in_flight`, load.inFlight, 0),
        hung: c.int32(`${field}.hung`, load.hung, 0),
      })),
    },
  };
}

/**
 * Checks a report and turns it into its wire form, which serves both as a whole ClientMessage
 * and as one item of a ReportBatch (the payloads share their field numbers).
 *
 * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when a field breaks the contract.
 */
export function encodeClientReport(message: ClientReport): WireReport {
  // The reference fields are written out rather than spread (`{ ...checkRef(…), atMs }`): on
  // Node 20, V8 takes a slow path for a spread followed by properties the spread object lacks,
  // about 3 µs a report, paid by the client for every subtask's Result.
  const c = outgoing;
  switch (message.kind) {
    case 'accepted':
      return { accepted: checkRef(c, message, 'accepted') };
    case 'refused':
      return {
        refused: {
          executionId: c.id('refused.execution_id', message.executionId),
          attempt: c.attempt('refused.attempt', message.attempt),
          reason: c.member('refused.reason', message.reason, REFUSE_REASONS.toWire),
          message: c.text('refused.message', message.message),
        },
      };
    case 'started':
      return {
        started: {
          executionId: c.id('started.execution_id', message.executionId),
          attempt: c.attempt('started.attempt', message.attempt),
          atMs: c.instant('started.at_ms', message.at),
        },
      };
    case 'log':
      return {
        log: {
          executionId: c.id('log.execution_id', message.executionId),
          attempt: c.attempt('log.attempt', message.attempt),
          atMs: c.instant('log.at_ms', message.at),
          level: c.member('log.level', message.level, LOG_LEVELS.toWire),
          message: c.text('log.message', message.message),
        },
      };
    case 'progress': {
      const fraction = c.fraction('progress.fraction', message.fraction);
      const text = c.optionalText('progress.message', message.message);
      return {
        progress: {
          executionId: c.id('progress.execution_id', message.executionId),
          attempt: c.attempt('progress.attempt', message.attempt),
          atMs: c.instant('progress.at_ms', message.at),
          ...(fraction === null ? {} : { fraction }),
          ...(text === null ? {} : { message: text }),
        },
      };
    }
    case 'result': {
      const result = c.optionalText('result.result', message.result);
      // `?? null`: a JavaScript caller may leave the field out altogether.
      const error = message.error ?? null;
      return {
        result: {
          executionId: c.id('result.execution_id', message.executionId),
          attempt: c.attempt('result.attempt', message.attempt),
          atMs: c.instant('result.at_ms', message.at),
          outcome: c.member('result.outcome', message.outcome, OUTCOMES.toWire),
          ...(result === null ? {} : { result }),
          ...(error === null ? {} : { error: encodeHandlerError(c, error) }),
        },
      };
    }
    case 'subtaskChunk':
      return {
        subtaskChunk: {
          executionId: c.id('subtask_chunk.execution_id', message.executionId),
          attempt: c.attempt('subtask_chunk.attempt', message.attempt),
          firstPosition: c.int64('subtask_chunk.first_position', message.firstPosition, 1),
          payloads: c.list('subtask_chunk.payloads', message.payloads, (p, f) => c.text(f, p), 1),
        },
      };
    default:
      return c.fail('payload', `unknown kind ${String((message as { kind: unknown }).kind)}`);
  }
}

/** One ReportBatch message carrying `reports` (from {@link encodeClientReport}), in order. */
export function encodeReportBatch(reports: WireReport[]): WireClientMessage {
  return { reportBatch: { reports } };
}

/**
 * Checks a received client message (as the codec decoded it) and turns it into a domain value.
 * Never throws: a message that breaks the contract yields `{ ok: false, error }` with code
 * `CARILLON_PROTOCOL_MALFORMED`, one without a payload this version knows yields
 * `CARILLON_PROTOCOL_UNKNOWN_MESSAGE` (ignore it: it may come from a newer client). A
 * ReportBatch is not a domain message: use {@link decodeClientMessages}.
 */
export function decodeClientMessage(wire: WireClientMessageOutput): Decoded<ClientMessage> {
  return decodeSafely(() => decodeOrThrow(wire));
}

/**
 * Like {@link decodeClientMessage}, but unpacks a ReportBatch into its reports, each checked
 * on its own: a malformed report is dropped alone, its neighbours still count.
 */
export function decodeClientMessages(wire: WireClientMessageOutput): Decoded<ClientMessage>[] {
  if (wire.payload !== 'reportBatch') return [decodeClientMessage(wire)];
  const reports = wire.reportBatch?.reports ?? [];
  if (reports.length === 0)
    return [decodeSafely(() => incoming.fail('report_batch.reports', 'is empty'))];
  return reports.map((report) => decodeSafely(() => decodeReportOrThrow(report)));
}

function decodeOrThrow(wire: WireClientMessageOutput): ClientMessage {
  const c = incoming;
  switch (wire.payload) {
    case 'hello':
      return { kind: 'hello', ...checkHello(c, c.object('hello', wire.hello)) };
    case 'heartbeat': {
      const w = c.object('heartbeat', wire.heartbeat);
      return {
        kind: 'heartbeat',
        at: c.instant('heartbeat.at_ms', w.atMs),
        inFlight: c.int32('heartbeat.in_flight', w.inFlight, 0),
        capacity: c.int32('heartbeat.capacity', w.capacity, 0),
        handlers: c.list('heartbeat.handlers', w.handlers, (load, field) => ({
          name: c.id(`${field}.name`, load.name, PROTOCOL_LIMITS.handlerMaxLength),
          inFlight: c.int32(`${field}.in_flight`, load.inFlight, 0),
          hung: c.int32(`${field}.hung`, load.hung ?? 0, 0),
        })),
      };
    }
    case 'accepted':
    case 'refused':
    case 'started':
    case 'log':
    case 'progress':
    case 'result':
    case 'subtaskChunk':
      return decodeReportOrThrow(wire);
    case 'reportBatch':
      throw protocolError(
        ProtocolErrorCode.Malformed,
        'payload',
        'is a report batch, which carries several messages (decodeClientMessages reads it)',
      );
    case undefined:
    default:
      throw protocolError(
        ProtocolErrorCode.UnknownMessage,
        'payload',
        'is empty or of a newer kind',
      );
  }
}

function decodeReportOrThrow(wire: WireReportOutput | WireClientMessageOutput): ClientReport {
  const c = incoming;
  switch (wire.payload) {
    case 'accepted':
      return {
        kind: 'accepted',
        ...checkRef(c, c.object('accepted', wire.accepted), 'accepted'),
      } satisfies AcceptedReport;
    case 'refused': {
      const w = c.object('refused', wire.refused);
      return {
        kind: 'refused',
        ...checkRef(c, w, 'refused'),
        reason: c.member('refused.reason', w.reason, REFUSE_REASONS.fromWire),
        message: c.text('refused.message', w.message),
      } satisfies RefusedReport;
    }
    case 'started': {
      const w = c.object('started', wire.started);
      return {
        kind: 'started',
        ...checkRef(c, w, 'started'),
        at: c.instant('started.at_ms', w.atMs),
      } satisfies StartedReport;
    }
    case 'log': {
      const w = c.object('log', wire.log);
      return {
        kind: 'log',
        ...checkRef(c, w, 'log'),
        at: c.instant('log.at_ms', w.atMs),
        level: c.member('log.level', w.level, LOG_LEVELS.fromWire),
        message: c.text('log.message', w.message),
      } satisfies LogReport;
    }
    case 'progress': {
      const w = c.object('progress', wire.progress);
      return {
        kind: 'progress',
        ...checkRef(c, w, 'progress'),
        at: c.instant('progress.at_ms', w.atMs),
        fraction: c.fraction('progress.fraction', w.fraction),
        message: c.optionalText('progress.message', w.message),
      } satisfies ProgressReport;
    }
    case 'result': {
      const w = c.object('result', wire.result);
      return {
        kind: 'result',
        ...checkRef(c, w, 'result'),
        at: c.instant('result.at_ms', w.atMs),
        outcome: c.member('result.outcome', w.outcome, OUTCOMES.fromWire),
        result: c.optionalText('result.result', w.result),
        error: w.error === undefined || w.error === null ? null : decodeHandlerError(w.error),
      } satisfies ResultReport;
    }
    case 'subtaskChunk': {
      const w = c.object('subtask_chunk', wire.subtaskChunk);
      return {
        kind: 'subtaskChunk',
        ...checkRef(c, w, 'subtask_chunk'),
        firstPosition: c.int64('subtask_chunk.first_position', w.firstPosition, 1),
        payloads: c.list('subtask_chunk.payloads', w.payloads, (p, f) => c.text(f, p), 1),
      } satisfies SubtaskChunkReport;
    }
    case 'hello':
    case 'heartbeat':
    case 'reportBatch':
      // decodeOrThrow reads these itself, and a Report has no such payload.
      throw protocolError(ProtocolErrorCode.Malformed, 'payload', 'is not a report');
    case undefined:
    default:
      throw protocolError(
        ProtocolErrorCode.UnknownMessage,
        'payload',
        'is empty or of a newer kind',
      );
  }
}

/**
 * The checks shared by both directions; `w` is a domain Hello or a decoded wire Hello, whose
 * fields are the same, so the checked copy serves as either.
 */
function checkHello(c: FieldChecker, w: Omit<Hello, 'kind'> | WireHelloOutput): WireHelloOutput {
  const field = 'hello';
  const handlers = c.list(`${field}.handlers`, w.handlers, (handler: HandlerInfo, at) => ({
    name: c.id(`${at}.name`, handler.name, PROTOCOL_LIMITS.handlerMaxLength),
    concurrency: c.int32(`${at}.concurrency`, handler.concurrency, 1),
  }));
  if (new Set(handlers.map((h) => h.name)).size !== handlers.length) {
    c.fail(`${field}.handlers`, 'names a handler twice');
  }
  return {
    groupId: c.groupId(`${field}.group_id`, w.groupId),
    clientId: c.id(`${field}.client_id`, w.clientId),
    token: c.id(`${field}.token`, w.token, PROTOCOL_LIMITS.tokenMaxLength),
    handlers,
    capacity: c.int32(`${field}.capacity`, w.capacity, 1),
    room: c.text(`${field}.room`, w.room, PROTOCOL_LIMITS.idMaxLength),
    sdkVersion: c.text(`${field}.sdk_version`, w.sdkVersion, PROTOCOL_LIMITS.idMaxLength),
    protocolVersion: c.int32(`${field}.protocol_version`, w.protocolVersion, 1),
    running: c.list(`${field}.running`, w.running, (ref, at) => checkRef(c, ref, at)),
    labels: checkLabels(c, `${field}.labels`, w.labels ?? []),
  };
}

/** Client labels: see {@link LABEL_PATTERN} and {@link PROTOCOL_LIMITS}. */
function checkLabels(c: FieldChecker, field: string, labels: readonly string[]): string[] {
  const checked = c.list(field, labels, (label: string, at) => {
    const text = c.text(at, label, PROTOCOL_LIMITS.labelMaxLength);
    if (!LABEL_PATTERN.test(text)) c.fail(at, 'is not a label');
    return text;
  });
  if (checked.length > PROTOCOL_LIMITS.labelsMax)
    c.fail(field, `has more than ${PROTOCOL_LIMITS.labelsMax} labels`);
  if (new Set(checked).size !== checked.length) c.fail(field, 'names a label twice');
  return checked;
}

function checkRef(
  c: FieldChecker,
  w: { readonly executionId: unknown; readonly attempt: unknown },
  field: string,
): { executionId: string; attempt: number } {
  return {
    executionId: c.id(`${field}.execution_id`, w.executionId),
    attempt: c.attempt(`${field}.attempt`, w.attempt),
  };
}

function encodeHandlerError(c: FieldChecker, error: HandlerError): WireHandlerError {
  const stack = c.optionalText('result.error.stack', error.stack);
  return {
    type: c.id('result.error.type', error.type),
    message: c.text('result.error.message', error.message),
    ...(stack === null ? {} : { stack }),
    retryable: c.bool('result.error.retryable', error.retryable),
  };
}

function decodeHandlerError(w: WireHandlerErrorOutput): HandlerError {
  const c = incoming;
  return {
    type: c.id('result.error.type', w.type),
    message: c.text('result.error.message', w.message),
    stack: c.optionalText('result.error.stack', w.stack),
    retryable: c.bool('result.error.retryable', w.retryable),
  };
}
