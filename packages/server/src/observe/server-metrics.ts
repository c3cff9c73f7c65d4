import type { Execution, SessionState, Unsubscribe } from '@carillon/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServerEventBus } from '../events.js';
import type { ServerStats } from '../server.js';

/** What {@link ServerMetrics} reads from a running server, besides its events. */
export interface MetricsSource {
  readonly events: ServerEventBus;
  /** The server's `stats` getter. */
  readonly stats: () => ServerStats;
  /** The coordinator session's state, read when scraped. */
  readonly sessionState: () => SessionState;
  /** The task group of a job, for events that name only the job (missed, skipped). */
  readonly groupOfJob?: (jobId: number) => Promise<string | undefined>;
}

const SESSION_STATES: readonly SessionState[] = ['connected', 'suspended', 'lost', 'stopped'];
// Lateness of a healthy fire is a few ms; a fire seconds late is the signal worth seeing.
const LATENESS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RUN_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const UNKNOWN_GROUP = 'unknown';
/**
 * How often the event loop's delay is sampled (prom-client's default is 10 ms). Each sample
 * wakes an idle loop, and a wake-up is not free: on a 2-core VM a bare process sampling every
 * 10 ms spent 2.9-4.3 ms of CPU a second, every 100 ms 1.5-1.8, not sampling 0.2. Stalls that
 * matter (a collector's pause, a late heartbeat) last longer than 100 ms and still show in full.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * The server's Prometheus metrics, fed only by its events and read-only getters, in a registry
 * of their own (so two servers in one process do not share counters).
 */
export class ServerMetrics {
  /** The registry to expose, e.g. by {@link ObserveListener}. */
  readonly registry = new Registry();
  readonly #source: MetricsSource;
  readonly #fires: Counter<'group' | 'outcome'>;
  readonly #lateness: Histogram<'group'>;
  readonly #runTime: Histogram<'group' | 'outcome'>;
  readonly #claimLead: Histogram<'group'>;
  readonly #dbErrors: Counter;
  readonly #alerts: Counter<'channel' | 'outcome'>;
  readonly #dbOutages: Counter;
  readonly #dbDown: Gauge;
  readonly #storeLatency: Histogram<'operation'>;
  readonly #clients = new Map<string, string>();
  // jobId → group, learnt from executions; events about a job alone name no group.
  readonly #groupOfJob = new Map<number, string>();
  // executionId → what lateness needs when the client reports the start.
  readonly #dispatched = new Map<string, { scheduledAt: number; groupId: string }>();
  readonly #unsubscribe: Unsubscribe[] = [];

  constructor(source: MetricsSource, options: { processMetrics?: boolean } = {}) {
    this.#source = source;
    const registers = [this.registry];
    if (options.processMetrics === true)
      collectDefaultMetrics({
        register: this.registry,
        prefix: 'carillon_',
        eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
      });
    this.#fires = new Counter({
      name: 'carillon_fires_total',
      help: 'Fires by task group and outcome: claimed, dispatched, succeeded, failed, partially_failed, timed_out, cancelled, no_client, missed, skipped.',
      labelNames: ['group', 'outcome'],
      registers,
    });
    this.#lateness = new Histogram({
      name: 'carillon_fire_lateness_seconds',
      help: 'How long after its scheduled instant a fire started on its client.',
      labelNames: ['group'],
      buckets: LATENESS_BUCKETS,
      registers,
    });
    this.#runTime = new Histogram({
      name: 'carillon_execution_run_seconds',
      help: 'Run time of finished executions, from start on the client to the result.',
      labelNames: ['group', 'outcome'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.#claimLead = new Histogram({
      name: 'carillon_fire_claim_lead_seconds',
      help: 'How long before its scheduled instant a fire was claimed (0 when claimed late).',
      labelNames: ['group'],
      buckets: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2],
      registers,
    });
    this.#dbErrors = new Counter({
      name: 'carillon_database_errors_total',
      help: 'Failed database health probes.',
      registers,
    });
    this.#dbOutages = new Counter({
      name: 'carillon_database_outages_total',
      help: 'Times the server found the database not answering (database:failing events).',
      registers,
    });
    this.#dbDown = new Gauge({
      name: 'carillon_database_failing',
      help: '1 while the server finds the database not answering, else 0.',
      registers,
    });
    this.#alerts = new Counter({
      name: 'carillon_alert_deliveries_total',
      help: 'Alert deliveries by channel and outcome: delivered, failed (attempts spent), suppressed (rate limit).',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    new Gauge({
      name: 'carillon_fires_waiting_for_client',
      help: 'Fires claimed by this server and waiting for a client of their group.',
      registers,
      collect() {
        this.set(source.stats().waiting);
      },
    });
    new Gauge({
      name: 'carillon_executions_in_flight',
      help: 'Executions dispatched by this server and not yet finished.',
      registers,
      collect() {
        this.set(source.stats().inFlight);
      },
    });
    new Gauge({
      name: 'carillon_client_free_slots',
      help: 'Free slots of the clients connected to this server (declared capacity less work in flight).',
      registers,
      collect() {
        this.set(source.stats().freeClientSlots);
      },
    });
    this.#storeLatency = new Histogram({
      name: 'carillon_database_operation_seconds',
      help: 'How long the database took to answer a claim of due fires or a batch of execution changes.',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    new Gauge({
      name: 'carillon_jobs_held',
      help: 'Jobs this server holds.',
      registers,
      collect() {
        this.set(source.stats().held);
      },
    });
    const clients = this.#clients;
    new Gauge({
      name: 'carillon_clients_connected',
      help: 'Clients with an open stream to this server, by task group.',
      labelNames: ['group'],
      registers,
      collect() {
        this.reset();
        for (const group of clients.values()) this.inc({ group });
      },
    });
    new Gauge({
      name: 'carillon_coordinator_session_state',
      help: 'The coordinator session: 1 for the current state, 0 for the others.',
      labelNames: ['state'],
      registers,
      collect() {
        const now = source.sessionState();
        for (const state of SESSION_STATES) this.set({ state }, state === now ? 1 : 0);
      },
    });
    this.#subscribe();
  }

  /** Counts a failed database probe (called by the readiness check). */
  databaseError(): void {
    this.#dbErrors.inc();
  }

  /** Counts the end of an alert delivery. */
  alertDelivered(channel: string, outcome: string): void {
    this.#alerts.inc({ channel, outcome });
  }

  /** Stops listening to the server's events. */
  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  #groupOf(e: Execution): string {
    this.#groupOfJob.set(e.jobId, e.groupId);
    return e.groupId;
  }

  #countForJob(jobId: number, outcome: string, n: number): void {
    if (n <= 0) return;
    const known = this.#groupOfJob.get(jobId);
    const lookup = this.#source.groupOfJob;
    if (known !== undefined || lookup === undefined) {
      this.#fires.inc({ group: known ?? UNKNOWN_GROUP, outcome }, n);
      return;
    }
    void lookup(jobId)
      .catch(() => undefined)
      .then((group) => {
        if (group !== undefined) this.#groupOfJob.set(jobId, group);
        this.#fires.inc({ group: group ?? UNKNOWN_GROUP, outcome }, n);
      });
  }

  #subscribe(): void {
    const events = this.#source.events;
    this.#unsubscribe.push(
      events.on('fires:claimed', ({ executions }) => {
        for (const e of executions) {
          const group = this.#groupOf(e);
          this.#fires.inc({ group, outcome: 'claimed' });
          if (e.cause === 'schedule')
            this.#claimLead.observe({ group }, Math.max(0, e.scheduledAt - e.createdAt) / 1000);
        }
      }),
      events.on('execution:dispatched', ({ execution: e }) => {
        const group = this.#groupOf(e);
        this.#fires.inc({ group, outcome: 'dispatched' });
        // Lateness is the first attempt's: a retry starts late by design (its backoff).
        if (e.attempt === 1)
          this.#dispatched.set(e.id, { scheduledAt: e.scheduledAt, groupId: group });
      }),
      events.on('execution:started', ({ executionId, at }) => {
        const d = this.#dispatched.get(executionId);
        if (d === undefined) return;
        this.#dispatched.delete(executionId);
        this.#lateness.observe({ group: d.groupId }, Math.max(0, at - d.scheduledAt) / 1000);
      }),
      events.on('execution:finished', ({ execution: e }) => {
        this.#dispatched.delete(e.id);
        const group = this.#groupOf(e);
        this.#fires.inc({ group, outcome: e.state });
        if (e.startedAt !== null && e.finishedAt !== null)
          this.#runTime.observe(
            { group, outcome: e.state },
            Math.max(0, e.finishedAt - e.startedAt) / 1000,
          );
      }),
      events.on('execution:unrouted', ({ execution: e }) =>
        this.#fires.inc({ group: this.#groupOf(e), outcome: 'no_client' }),
      ),
      events.on('execution:skipped', ({ executionId, jobId }) => {
        this.#dispatched.delete(executionId);
        this.#countForJob(jobId, 'skipped', 1);
      }),
      // Every missed instant counts, also those the misfire policy then fires (late) or skips.
      events.on('fires:missed', ({ jobId, instants }) =>
        this.#countForJob(jobId, 'missed', instants.length),
      ),
      events.on('database:timed', ({ operation, ms }) =>
        this.#storeLatency.observe({ operation }, ms / 1000),
      ),
      events.on('database:failing', () => {
        this.#dbOutages.inc();
        this.#dbDown.set(1);
      }),
      events.on('database:recovered', () => this.#dbDown.set(0)),
      events.on('client:connected', ({ clientId, groupId }) =>
        this.#clients.set(clientId, groupId),
      ),
      events.on('client:disconnected', ({ clientId }) => this.#clients.delete(clientId)),
    );
  }
}
