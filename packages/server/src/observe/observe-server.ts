import type { Coordinator, Logger, Stores } from '@carillon/core';
import { silentLogger } from '@carillon/core';
import { provideDispatchTraceparent, provideGrpcHealth } from '@carillon/protocol';
import type { CarillonServer } from '../server.js';
import { AlertDeliverer } from './alerts/alert-deliverer.js';
import { AlertNotifier } from './alerts/alert-notifier.js';
import { EmailSender, WebhookSender } from './alerts/alert-sender.js';
import type { SmtpSettings } from './alerts/alert-sender.js';
import { FireTracer } from './fire-tracer.js';
import { ObserveListener } from './observe-listener.js';
import { Readiness } from './readiness.js';
import { ServerMetrics } from './server-metrics.js';

/** Metrics, readiness and the HTTP listener of one server, made by {@link observeServer}. */
export interface ServerObservability extends AsyncDisposable {
  readonly metrics: ServerMetrics;
  readonly readiness: Readiness;
  /** Undefined when no port was given. */
  readonly listener: ObserveListener | undefined;
  /** Delivers the alerts the server raises; also what the console's "send a test" may use. */
  readonly alerts: AlertDeliverer;
  /**
   * On the server's gRPC port (`port`, as bound): makes `grpc.health.v1.Health/Check` answer
   * SERVING only while every readiness check passes, and dispatches carry the trace context
   * of their fire's span (when traced). Call after `server.start()`.
   */
  serveOnGrpcPort(port: number): void;
  close(): Promise<void>;
}

/**
 * Subscribes metrics, alerts and fire spans (OpenTelemetry, when a tracer provider is
 * registered) to a server's events and, when `port` is given, serves `/metrics`,
 * `/livez` and `/readyz` on it. Call before `server.start()` so that no event is missed.
 */
export async function observeServer(options: {
  readonly server: CarillonServer;
  readonly stores: Stores;
  readonly coordinator: Coordinator;
  readonly host?: string;
  readonly port?: number;
  /** Also export the process's CPU, memory and event-loop metrics. Default true. */
  readonly processMetrics?: boolean;
  readonly logger?: Logger;
  /** Alert delivery: SMTP for e-mail rules (without it they fail), attempts and backoff. */
  readonly alerts?: {
    readonly smtp?: SmtpSettings;
    readonly maxAttempts?: number;
    readonly backoffMs?: number;
  };
}): Promise<ServerObservability> {
  const { server, stores, coordinator } = options;
  const logger = options.logger ?? silentLogger;
  const metrics = new ServerMetrics(
    {
      events: server.events,
      stats: () => server.stats,
      sessionState: () => coordinator.state,
      groupOfJob: async (jobId) => (await stores.jobs.get(jobId))?.groupId,
    },
    { processMetrics: options.processMetrics ?? true },
  );
  const readiness = new Readiness({
    probeDatabase: () => stores.jobs.changeSeq(),
    sessionState: () => coordinator.state,
    serverState: () => server.state,
    onDatabaseError: () => metrics.databaseError(),
  });
  const email =
    options.alerts?.smtp === undefined ? undefined : new EmailSender(options.alerts.smtp);
  const deliverer = new AlertDeliverer({
    stores,
    senders: { webhook: new WebhookSender(), ...(email === undefined ? {} : { email }) },
    logger,
    ...(options.alerts?.maxAttempts === undefined
      ? {}
      : { maxAttempts: options.alerts.maxAttempts }),
    ...(options.alerts?.backoffMs === undefined ? {} : { backoffMs: options.alerts.backoffMs }),
    onOutcome: (channel, outcome) => metrics.alertDelivered(channel, outcome),
  });
  const notifier = new AlertNotifier({ events: server.events, stores, deliverer, logger });
  const tracer = new FireTracer(server.events);
  let listener: ObserveListener | undefined;
  try {
    if (options.port !== undefined)
      listener = await ObserveListener.start({
        port: options.port,
        ...(options.host === undefined ? {} : { host: options.host }),
        registry: metrics.registry,
        readiness,
      });
  } catch (error) {
    tracer.close();
    notifier.close();
    email?.close();
    metrics.close();
    throw error;
  }
  const withdraw: (() => void)[] = [];
  const serveOnGrpcPort = (port: number): void => {
    withdraw.push(
      provideGrpcHealth(port, async () =>
        (await readiness.check()).ready ? 'SERVING' : 'NOT_SERVING',
      ),
      provideDispatchTraceparent(port, (executionId) => tracer.traceparentOf(executionId)),
    );
  };
  const close = async (): Promise<void> => {
    for (const off of withdraw.splice(0)) off();
    tracer.close();
    notifier.close();
    await deliverer.close();
    email?.close();
    metrics.close();
    await listener?.close();
  };
  return {
    metrics,
    readiness,
    listener,
    alerts: deliverer,
    serveOnGrpcPort,
    close,
    [Symbol.asyncDispose]: close,
  };
}
