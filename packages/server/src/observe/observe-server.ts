import type { Coordinator, Stores } from '@carillon/core';
import { provideGrpcHealth } from '@carillon/protocol';
import type { CarillonServer } from '../server.js';
import { ObserveListener } from './observe-listener.js';
import { Readiness } from './readiness.js';
import { ServerMetrics } from './server-metrics.js';

/** Metrics, readiness and the HTTP listener of one server, made by {@link observeServer}. */
export interface ServerObservability extends AsyncDisposable {
  readonly metrics: ServerMetrics;
  readonly readiness: Readiness;
  /** Undefined when no port was given. */
  readonly listener: ObserveListener | undefined;
  /**
   * Makes `grpc.health.v1.Health/Check` on the server's gRPC port (`port`, as bound) answer
   * SERVING only while every readiness check passes. Call after `server.start()`.
   */
  serveGrpcHealth(port: number): void;
  close(): Promise<void>;
}

/**
 * Subscribes metrics to a server's events and, when `port` is given, serves `/metrics`,
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
}): Promise<ServerObservability> {
  const { server, stores, coordinator } = options;
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
    metrics.close();
    throw error;
  }
  const withdraw: (() => void)[] = [];
  const serveGrpcHealth = (port: number): void => {
    withdraw.push(
      provideGrpcHealth(port, async () =>
        (await readiness.check()).ready ? 'SERVING' : 'NOT_SERVING',
      ),
    );
  };
  const close = async (): Promise<void> => {
    for (const off of withdraw.splice(0)) off();
    metrics.close();
    await listener?.close();
  };
  return { metrics, readiness, listener, serveGrpcHealth, close, [Symbol.asyncDispose]: close };
}
