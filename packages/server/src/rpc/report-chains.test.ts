import { describe, expect, it } from 'vitest';
import { ReportChains } from './report-chains.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ReportChains', () => {
  it('hands a failed report to `failed` and still handles the reports behind it', async () => {
    const chains = new ReportChains();
    const handled: string[] = [];
    const failures: unknown[] = [];
    const boom = new Error("Table 'executions' doesn't exist");
    chains.run(
      'e1',
      () => Promise.reject(boom),
      (e) => failures.push(e),
    );
    chains.run(
      'e1',
      () => {
        handled.push('second');
        return Promise.resolve();
      },
      (e) => failures.push(e),
    );
    await tick();
    // Left unhandled, the rejection fails this test run (and ended a server process).
    expect(failures).toEqual([boom]);
    expect(handled).toEqual(['second']);
  });

  it('keeps the order of one key and lets other keys go ahead', async () => {
    const chains = new ReportChains();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const noFailure = (e: unknown) => order.push(`failed ${String(e)}`);
    chains.run('e1', () => slow.then(() => void order.push('e1 first')), noFailure);
    chains.run('e1', () => Promise.resolve(void order.push('e1 second')), noFailure);
    chains.run('e2', () => Promise.resolve(void order.push('e2')), noFailure);
    await tick();
    expect(order).toEqual(['e2']);
    release();
    await tick();
    expect(order).toEqual(['e2', 'e1 first', 'e1 second']);
  });
});
