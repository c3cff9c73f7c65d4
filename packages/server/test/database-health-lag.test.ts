// A statement answered while this process's event loop was held up (a long GC, a CPU cap that
// bites, a busy turn) is not a database stall. Timers run before the poll phase reads the
// sockets, so after a late turn the stall timer used to fire with the answer already waiting
// unread: "database failing" was logged and announced (alerts, metrics, the scheduler's trouble
// window) though MariaDB had answered at once. Seen in the capped cluster bench.
import type { Stores } from '@carillon/core';
import { SystemClock, silentLogger } from '@carillon/core';
import { openStores } from '@carillon/storage';
import { mariadbDatabase } from '@carillon/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseHealth } from '../src/database/database-health.js';
import { ServerEventBus } from '../src/events.js';

const STALL_MS = 200;

/** Holds the event loop for `ms`, as a busy turn would. */
function holdLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: nothing else of this process runs meanwhile
  }
}

describe('database health when the event loop is late (MariaDB)', () => {
  const db = mariadbDatabase();
  let stores: Stores | undefined;

  afterEach(async () => {
    await stores?.close();
    stores = undefined;
    await db.drop();
  });

  function health(): { health: DatabaseHealth; failing: string[]; failed: Promise<void> } {
    const events = new ServerEventBus();
    const failing: string[] = [];
    events.on('database:failing', ({ reason }) => failing.push(reason));
    const failed = new Promise<void>((resolve) => events.on('database:failing', () => resolve()));
    const h = new DatabaseHealth({
      clock: new SystemClock(),
      events,
      logger: silentLogger,
      isTransient: () => true,
      stallMs: STALL_MS,
    });
    return { health: h, failing, failed };
  }

  it('does not call the database failing when its answer waited unread behind a held loop', async () => {
    stores = await openStores({ url: await db.create(), migrate: true });
    const s = stores;
    const { health: h, failing } = health();
    await s.servers.list(1, 1); // a pooled connection, so that a statement goes out at once
    for (let round = 0; round < 5; round++) {
      const answer = h.watch(() => s.servers.list(1, 1));
      // One turn for the statement to go out (the query builder's steps are promises); then
      // MariaDB answers in a millisecond, but nothing reads the socket until the loop turns
      // again, and by then the stall timer is overdue.
      await new Promise((resolve) => setImmediate(resolve));
      holdLoop(STALL_MS * 2);
      await expect(answer).resolves.toEqual([]);
    }
    expect(failing).toEqual([]);
    expect(h.status.state).toBe('ok');
  });

  it('still calls a statement that gets no answer a stall, once the loop has turned', async () => {
    const { health: h, failing, failed } = health();
    let answer: () => void = () => undefined;
    const held = h.watch(() => new Promise<void>((resolve) => (answer = resolve)));
    await failed;
    expect(failing).toHaveLength(1);
    expect(h.status.state).toBe('failing');
    answer();
    await held;
    expect(h.status.state).toBe('ok');
  });
});
