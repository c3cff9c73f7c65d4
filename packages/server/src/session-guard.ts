import type { Coordinator, Logger } from '@carillon/core';
import { SessionEvent, SessionState } from '@carillon/core';
import type { ServerEventBus } from './events.js';

/** A part of the server that stops at once while the coordinator session is not live. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** What a {@link SessionGuard} works with. */
export interface SessionGuardOptions {
  readonly coordinator: Coordinator;
  readonly events: ServerEventBus;
  readonly logger: Logger;
  /** Paused in this order when the session goes, resumed in this order when it is back. */
  readonly parts: readonly Pausable[];
  /** Whether the server runs: a session back while it starts or stops resumes nothing. */
  readonly isRunning: () => boolean;
  /** Reads the live members again, before claiming resumes. */
  readonly reloadMembership: () => Promise<void>;
}

/**
 * Stops claiming and dispatching while this server's coordinator session is suspended or
 * lost, and starts again when it is back.
 */
export class SessionGuard {
  readonly #o: SessionGuardOptions;
  #suspended = false;

  constructor(options: SessionGuardOptions) {
    this.#o = options;
  }

  get suspended(): boolean {
    return this.#suspended;
  }

  /**
   * A suspended or lost session may mean this server is partitioned and its peers have taken
   * over: it stops claiming and routing at once (running executions are left to their clients
   * and the fence). Back in touch, it reloads membership and jobs and claims again; the
   * coordinator has already registered it again under a new session.
   */
  async onSessionEvent(event: SessionEvent): Promise<void> {
    const o = this.#o;
    o.logger.info({ event, state: o.coordinator.state }, 'coordinator session event');
    if (event === SessionEvent.Suspended || event === SessionEvent.Lost) {
      this.suspend(event);
      return;
    }
    if (event !== SessionEvent.Reconnected && event !== SessionEvent.Connected) return;
    if (!this.#suspended || !o.isRunning()) return;
    try {
      await o.reloadMembership();
    } catch (error) {
      o.logger.error({ err: error }, 'reloading membership after reconnecting failed');
    }
    if (o.coordinator.state !== SessionState.Connected) return;
    this.#suspended = false;
    for (const part of o.parts) part.resume();
    o.events.emit('session:resumed', {});
    o.logger.info({}, 'claiming and dispatching again');
  }

  suspend(event: 'suspended' | 'lost'): void {
    if (this.#suspended) return;
    this.#suspended = true;
    for (const part of this.#o.parts) part.pause();
    this.#o.events.emit('session:suspended', { event });
    this.#o.logger.warn(
      { event },
      'coordinator session not live: stopped claiming and dispatching',
    );
  }
}
