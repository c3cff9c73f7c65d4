import type { Logger } from '@carillon/core';
import type { State } from 'node-zookeeper-client';
import zookeeper from 'node-zookeeper-client';
import { CoordinationErrorCode, coordinationError } from '../errors.js';
import { SessionWatchdog } from './session-watchdog.js';
import { CREATOR_ONLY, OPEN_TO_ANYONE } from './zk-calls.js';
import type { SessionHandle } from './zookeeper-election.js';

/** One ZooKeeper session: its client, its watchdog and what ZooKeeper granted. */
export interface Session extends SessionHandle {
  readonly watchdog: SessionWatchdog;
  readonly negotiatedTimeoutMs: number;
  readonly onState: (state: State) => void;
}

/** Settings of {@link openSession}. */
export interface OpenSession {
  readonly servers: string;
  /** Digest credentials, `user:password`; undefined: none, and nodes open to anyone. */
  readonly auth: string | undefined;
  readonly epoch: number;
  readonly requestedTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly suspendAfterMs: number | undefined;
  readonly logger: Logger;
  readonly onState: (session: Session, state: State) => void;
  readonly onSilent: () => void;
  readonly onAnswer: () => void;
}

/**
 * Opens a session and starts its watchdog; logs the negotiated session timeout, from which the
 * watchdog's timings follow (probe every sixth, give a probe a third, suspend after two thirds).
 *
 * @throws CarillonError `CARILLON_COORDINATION_UNAVAILABLE` when none opens in time
 */
export async function openSession(o: OpenSession): Promise<Session> {
  const client = zookeeper.createClient(o.servers, {
    sessionTimeout: o.requestedTimeoutMs,
    spinDelay: 200,
    retries: 0,
  });
  // Sent with the connect request, on every reconnection of the session too.
  if (o.auth !== undefined) client.addAuthInfo('digest', Buffer.from(o.auth, 'utf8'));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(
        coordinationError(
          CoordinationErrorCode.Unavailable,
          `no ZooKeeper session with ${o.servers} within ${o.connectTimeoutMs} ms`,
        ),
      );
    }, o.connectTimeoutMs);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  const negotiatedTimeoutMs = client.getSessionTimeout();
  const suspendAfterMs = o.suspendAfterMs ?? Math.floor((negotiatedTimeoutMs * 2) / 3);
  o.logger.info(
    {
      requestedSessionTimeoutMs: o.requestedTimeoutMs,
      negotiatedSessionTimeoutMs: negotiatedTimeoutMs,
      suspendAfterMs,
      sessionId: client.getSessionId().toString('hex').replace(/^0+/, ''),
    },
    'coordinator: ZooKeeper session open',
  );
  const watchdog = new SessionWatchdog(
    client,
    {
      probeEveryMs: Math.max(100, Math.floor(negotiatedTimeoutMs / 6)),
      probeTimeoutMs: Math.max(300, Math.floor(negotiatedTimeoutMs / 3)),
      suspendAfterMs,
    },
    { onSilent: o.onSilent, onAnswer: o.onAnswer },
  );
  const session: Session = {
    client,
    epoch: o.epoch,
    acls: o.auth === undefined ? OPEN_TO_ANYONE : CREATOR_ONLY,
    watchdog,
    negotiatedTimeoutMs,
    onState: (state: State) => o.onState(session, state),
  };
  client.on('state', session.onState);
  watchdog.start();
  return session;
}

/** Stops listening and closes the session without waiting (an expired one, or a failed open). */
export function closeSession(session: Session): void {
  session.watchdog.stop();
  session.client.removeListener('state', session.onState);
  session.client.close();
}

/** Closes the session and waits (at most 2 s) for ZooKeeper to end it. */
export async function closeSessionAndWait(session: Session): Promise<void> {
  session.watchdog.stop();
  session.client.removeListener('state', session.onState);
  // close() ends the session on the server (ephemeral nodes go at once); a frozen server
  // never answers, so do not wait for ever.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    session.client.once('disconnected', () => {
      clearTimeout(timer);
      resolve();
    });
    session.client.close();
  });
}
