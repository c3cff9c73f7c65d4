import type { Context, Span } from '@opentelemetry/api';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  trace,
} from '@opentelemetry/api';
import type { DispatchOrder } from '@carillon/protocol';

/** The server's span of the fire, as the remote parent of the handler's work. */
function parentOf(traceparent: string | undefined): Context {
  if (traceparent === undefined) return context.active();
  const [, traceId, spanId, flags] = traceparent.split('-');
  if (traceId === undefined || spanId === undefined || flags === undefined) return context.active();
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/**
 * Runs `work` (the handler) in a `carillon.execute` span, a child of the server's span of the
 * fire when the dispatch carries its trace context, and active while the handler runs: spans the
 * handler makes join the fire's trace. Without an OpenTelemetry provider nothing is recorded,
 * but the context still passes on.
 */
export async function runTraced(order: DispatchOrder, work: () => unknown): Promise<unknown> {
  const parent = parentOf(order.traceparent);
  const span: Span = trace.getTracer('@carillon/client').startSpan(
    'carillon.execute',
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'carillon.execution.id': order.executionId,
        'carillon.attempt': order.attempt,
        'carillon.job.id': order.jobId,
        'carillon.handler': order.handler,
      },
    },
    parent,
  );
  try {
    // The handler may answer synchronously; awaiting covers both.
    return await context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    throw error;
  } finally {
    span.end();
  }
}
