// A run longer than the fence interval, on a client that lives, whose owner server is killed:
// the client keeps running it (it is connected to the other server too), so the adopter must
// not dispatch it again; the run ends once, and its Result is recorded under the adopter.
// Two `carillon server` processes, ZooKeeper, MariaDB, two client processes, fence 3 s.
import type { Execution } from '@carillon/core';
import { checkLedger, readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2, serverEnv: { CARILLON_FENCE_MS: '3000' } });
}, 120_000);

afterAll(() => cluster?.stop());

describe('a long run whose owner server is killed, on a client that lives', () => {
  it('runs once, and ends with its own Result', async () => {
    const { groupId, token } = await cluster.createGroup('long-runs', 2);
    const clients = [
      await cluster.startClient(groupId, token, 'c1'),
      await cluster.startClient(groupId, token, 'c2'),
    ];
    const { id } = await cluster.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'sleeps past the fence',
      description: 'sleeps 12 s',
      trigger: { type: 'api' },
      handler: 'sleep',
      param: '12000',
    });
    const { executionId } = await cluster.api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${id}/trigger`,
      {},
    );
    await Promise.race(
      clients.map((c) =>
        c.waitForEvent((e) => e.event === 'started' && e.executionId === executionId),
      ),
    );
    const started = await cluster.stores.executions.get(executionId);
    const owner = cluster.servers.find((s) => s.id === started?.ownerServerId);
    expect(owner).toBeDefined();
    await cluster.kill(owner!);
    const ended = await waitFor(
      'the execution to end',
      async () => {
        const e = await cluster.api<Execution>('GET', `/api/v1/executions/${executionId}`);
        return ['succeeded', 'failed'].includes(e.state) ? e : undefined;
      },
      { timeoutMs: 40_000 },
    );
    // Every start the clients made of it: one, however long the run outlived its owner.
    const runs = (await readLedger(cluster.ledger)).filter((r) => r.executionId === executionId);
    console.log(
      `long-run-owner-killed figures ${JSON.stringify({ runs: runs.map((r) => ({ attempt: r.attempt, clientId: r.clientId })), state: ended.state, attempt: ended.attempt, owner: ended.ownerServerId })}`,
    );
    expect(runs).toHaveLength(1);
    expect(checkLedger(runs, {}).overlaps).toEqual([]);
    expect(ended.state).toBe('succeeded');
    expect(ended.ownerServerId).not.toBe(owner!.id);
  }, 90_000);
});
