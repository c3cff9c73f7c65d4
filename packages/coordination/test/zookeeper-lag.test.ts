import { randomBytes } from 'node:crypto';
import { SessionEvent, SessionState } from '@carillon/core';
import { startZooKeeper } from '@carillon/testkit';
import type { ZooKeeperCluster } from '@carillon/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ZooKeeperCoordinator } from '../src/index.js';
import { testLogging } from './test-logging.js';

// A short session, so that three of them fit in a test: probes every 0.5 s, suspended after 2 s.
const SESSION_MS = 3_000;

let zk: ZooKeeperCluster;
const started: ZooKeeperCoordinator[] = [];
async function coordinator(): Promise<ZooKeeperCoordinator> {
  const c = new ZooKeeperCoordinator({
    connection: `${zk.connectionString}/t${randomBytes(4).toString('hex')}/carillon`,
    cluster: 101,
    sessionTimeoutMs: SESSION_MS,
    ...testLogging(started.length),
  });
  started.push(c);
  await c.start();
  return c;
}

/**
 * Keeps this event loop late, as a server capped at a sliver of a core is under load: every turn
 * blocks for `turnMs`, then lets the loop go round once (timers, poll, check) and blocks again,
 * until `forMs` has passed or `done()`.
 */
async function lagLoop(forMs: number, turnMs: number, done = (): boolean => false): Promise<void> {
  const until = Date.now() + forMs;
  while (Date.now() < until && !done()) {
    // Yield first: each block then runs in the check phase, with a whole turn between two.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const busyUntil = Date.now() + turnMs;
    while (Date.now() < busyUntil) {
      // busy: the loop is blocked, as by a long run of callbacks on a starved CPU
    }
  }
}

beforeAll(async () => {
  zk = await startZooKeeper();
});
afterAll(async () => {
  await zk.stop();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
});

describe('ZooKeeperCoordinator under sustained lag of its own event loop', () => {
  it('stays connected while ZooKeeper answers every turn, however late the turns', async () => {
    const c = await coordinator();
    const timeoutMs = c.negotiatedSessionTimeoutMs ?? SESSION_MS;
    const sessionBefore = c.sessionId;
    const events: SessionEvent[] = [];
    c.onSessionEvent((e) => events.push(e));
    // Turns of 2.4 probe intervals: each tick comes more than two intervals after the last (what
    // the watchdog took for a stall), and two turns outlast the 2/3 of the session after which
    // silence suspends, so an answer read one turn late must not count as silence.
    await lagLoop(3 * timeoutMs, Math.round((2.4 * timeoutMs) / 6));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(events).toEqual([]);
    expect(c.state).toBe(SessionState.Connected);
    expect(c.sessionId).toBe(sessionBefore);
  });

  it('still suspends when ZooKeeper is frozen (SIGSTOP) while the loop lags', async () => {
    const c = await coordinator();
    const timeoutMs = c.negotiatedSessionTimeoutMs ?? SESSION_MS;
    const events: SessionEvent[] = [];
    c.onSessionEvent((e) => events.push(e));
    const node = zk.nodes[0];
    if (node === undefined) throw new Error('no node');
    const frozenAt = Date.now();
    await node.pause();
    try {
      await lagLoop(4 * timeoutMs, Math.round((2.4 * timeoutMs) / 6), () =>
        events.includes(SessionEvent.Suspended),
      );
      const tookMs = Date.now() - frozenAt;
      expect(events).toContain(SessionEvent.Suspended);
      // 2/3 of the session after the last answer (at most a probe interval before the freeze),
      // then the timer waits for a turn and the verdict for the next: ~5 s here; generous.
      expect(tookMs).toBeLessThan(3 * timeoutMs);
      expect(c.state).toBe(SessionState.Suspended);
      console.log(`frozen ZooKeeper under lag: suspended after ${tookMs} ms`);
    } finally {
      node.resume();
    }
    await new Promise<void>((resolve) => {
      const off = c.onSessionEvent((e) => {
        if (e !== SessionEvent.Reconnected) return;
        off();
        resolve();
      });
    });
    expect(c.state).toBe(SessionState.Connected);
  });
});
