import type { Span, Tracer } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Execution, Unsubscribe } from '@carillon/core';
import type { ServerEventBus } from '../events.js';

// A span whose result never comes to this server (its ownership moved) must not be kept forever.
const MAX_OPEN_SPANS = 50_000;

/**
 * OpenTelemetry spans of fires: one `carillon.fire` span per execution from its claim to its
 * result, with `dispatched` and `started` events, fed by the server's events. Uses the global
 * tracer provider: with none registered (the default) spans do not record and nothing is kept.
 */
export class FireTracer {
  readonly #tracer: Tracer;
  readonly #open = new Map<string, Span>();
  readonly #unsubscribe: Unsubscribe[] = [];
  readonly #now: () => number;

  /** `tracer` defaults to the global provider's; `now` (for spans not begun at a claim) to Date.now. */
  constructor(events: ServerEventBus, options: { tracer?: Tracer; now?: () => number } = {}) {
    this.#tracer = options.tracer ?? trace.getTracer('@carillon/server');
    this.#now = options.now ?? Date.now;
    this.#unsubscribe.push(
      events.on('fires:claimed', ({ executions }) => {
        for (const e of executions) this.#begin(e, e.createdAt);
      }),
      events.on('execution:dispatched', ({ execution: e, clientId }) => {
        // Manual fires and recovered work are not claimed through the scheduler.
        const span = this.#open.get(e.id) ?? this.#begin(e, this.#now());
        span?.addEvent('dispatched', {
          'carillon.client.id': clientId,
          'carillon.attempt': e.attempt,
        });
      }),
      events.on('execution:started', ({ executionId, clientId, at }) =>
        this.#open.get(executionId)?.addEvent('started', { 'carillon.client.id': clientId }, at),
      ),
      events.on('execution:finished', ({ execution: e }) => {
        const failed =
          e.state === 'failed' || e.state === 'timed_out' || e.state === 'partially_failed';
        this.#end(
          e.id,
          e.state,
          failed ? (e.reason ?? e.state) : undefined,
          e.finishedAt ?? undefined,
        );
      }),
      events.on('execution:unrouted', ({ execution, reason }) =>
        this.#end(execution.id, 'failed', reason),
      ),
      events.on('execution:skipped', ({ executionId, reason }) =>
        this.#end(executionId, 'skipped', undefined, undefined, reason),
      ),
    );
  }

  /**
   * The W3C `traceparent` of the open span of an execution, for its dispatch: the client runs
   * the handler in that context. Undefined when the fire is not traced.
   */
  traceparentOf(executionId: string): string | undefined {
    const context = this.#open.get(executionId)?.spanContext();
    if (context === undefined) return undefined;
    const flags = context.traceFlags.toString(16).padStart(2, '0');
    return `00-${context.traceId}-${context.spanId}-${flags}`;
  }

  /** Stops listening and ends the spans still open. */
  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const span of this.#open.values()) {
      span.setAttribute('carillon.execution.state', 'unknown');
      span.end();
    }
    this.#open.clear();
  }

  #begin(e: Execution, at: number): Span | undefined {
    const span = this.#tracer.startSpan('carillon.fire', {
      kind: SpanKind.PRODUCER,
      startTime: at,
      attributes: {
        'carillon.execution.id': e.id,
        'carillon.job.id': e.jobId,
        'carillon.group.id': e.groupId,
        'carillon.execution.cause': e.cause,
        'carillon.scheduled_at': new Date(e.scheduledAt).toISOString(),
      },
    });
    if (!span.isRecording()) return undefined;
    if (this.#open.size >= MAX_OPEN_SPANS) {
      const [oldestId, oldest] = this.#open.entries().next().value ?? [];
      if (oldestId !== undefined && oldest !== undefined) {
        oldest.setAttribute('carillon.execution.state', 'unknown');
        oldest.end();
        this.#open.delete(oldestId);
      }
    }
    this.#open.set(e.id, span);
    return span;
  }

  #end(id: string, state: string, error?: string, at?: number, note?: string): void {
    const span = this.#open.get(id);
    if (span === undefined) return;
    this.#open.delete(id);
    span.setAttribute('carillon.execution.state', state);
    if (note !== undefined) span.setAttribute('carillon.execution.reason', note);
    if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end(at);
  }
}
