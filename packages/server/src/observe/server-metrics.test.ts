import { describe, expect, it } from 'vitest';
import { ServerEventBus } from '../events.js';
import { ServerMetrics } from './server-metrics.js';

// The database health watch that emits these events lives elsewhere in the server; here only
// the metrics' reading of them is checked.
describe('ServerMetrics and the database health events', () => {
  it('counts outages and shows the database failing until it recovers', async () => {
    const events = new ServerEventBus();
    const metrics = new ServerMetrics({
      events,
      stats: () => ({ held: 0, scheduled: 0, inFlight: 0, waiting: 0, freeClientSlots: 0 }),
      sessionState: () => 'connected',
    });
    const read = async () => metrics.registry.metrics();
    expect(await read()).toContain('carillon_database_failing 0');
    events.emit('database:failing', { since: 1, reason: 'connection refused' });
    expect(await read()).toContain('carillon_database_failing 1');
    expect(await read()).toContain('carillon_database_outages_total 1');
    events.emit('database:recovered', { since: 1, downMs: 500, failures: 3 });
    const after = await read();
    expect(after).toContain('carillon_database_failing 0');
    expect(after).toContain('carillon_database_outages_total 1');
    metrics.close();
    events.emit('database:failing', { since: 2, reason: 'again' });
    expect(await read()).toContain('carillon_database_outages_total 1');
  });
});
