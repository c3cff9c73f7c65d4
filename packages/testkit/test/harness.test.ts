import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerLine } from '../src/index.js';
import {
  appendLedger,
  checkLedger,
  readLedger,
  startTcpProxy,
  startZooKeeper,
} from '../src/index.js';

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('startZooKeeper', () => {
  it('starts a standalone server that answers, and stops it', async () => {
    const zk = await startZooKeeper();
    const [node] = zk.nodes;
    if (node === undefined) throw new Error('no node');
    expect(await node.mode()).toBe('standalone');
    expect(zk.connectionString).toBe(node.address);
    // Sessions are negotiated within [2, 20] ticks of 500 ms.
    expect(await node.command('conf')).toMatch(/maxSessionTimeout=10000/);
    await node.pause();
    expect(await node.mode()).toBeUndefined();
    node.resume();
    expect(await node.mode()).toBe('standalone');
    await zk.stop();
    expect(await accepts(node.clientPort)).toBe(false);
  });

  it('keeps a three-node ensemble serving when one node dies, and takes it back', async () => {
    const zk = await startZooKeeper({ nodes: 3 });
    try {
      const modes = await Promise.all(zk.nodes.map((n) => n.mode()));
      expect(modes.filter((m) => m === 'leader')).toHaveLength(1);
      expect(modes.filter((m) => m === 'follower')).toHaveLength(2);
      const leader = await zk.leader();
      await leader.kill();
      expect(leader.running).toBe(false);
      const next = await zk.leader();
      expect(next.id).not.toBe(leader.id);
      await leader.restart();
      expect(await leader.mode()).toBe('follower');
    } finally {
      await zk.stop();
    }
  });
});

describe('startTcpProxy', () => {
  it('passes traffic, holds it across a partition, and lets it through again once healed', async () => {
    const zk = await startZooKeeper();
    const node = zk.nodes[0];
    if (node === undefined) throw new Error('no node');
    const proxy = await startTcpProxy(node.address);
    const port = Number(proxy.address.split(':')[1]);
    const ask = (): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port });
        let reply = '';
        const timer = setTimeout(() => {
          socket.destroy();
          resolve('silence');
        }, 500);
        socket.on('connect', () => socket.write('ruok'));
        socket.on('data', (d) => (reply += d.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(reply === '' ? 'silence' : reply);
        });
      });
    try {
      expect(await ask()).toBe('imok');
      proxy.partition();
      expect(await ask()).toBe('silence');
      proxy.heal();
      expect(await ask()).toBe('imok');
    } finally {
      await proxy.close();
      await zk.stop();
    }
  });
});

describe('ledger', () => {
  const line = (over: Partial<LedgerLine> & Pick<LedgerLine, 'event' | 'at'>): LedgerLine => ({
    jobId: 1,
    scheduledAt: 1_000,
    executionId: 'e1',
    attempt: 1,
    clientId: 'c1',
    ...over,
  });

  it('reads a clean run from a file several writers append to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carillon-ledger-'));
    try {
      const path = join(dir, 'ledger.jsonl');
      expect(await readLedger(path)).toEqual([]);
      appendLedger(path, line({ event: 'start', at: 1_001 }));
      appendLedger(
        path,
        line({ event: 'start', at: 2_001, scheduledAt: 2_000, executionId: 'e2' }),
      );
      appendLedger(path, line({ event: 'end', at: 1_050, outcome: 'succeeded' }));
      appendLedger(path, line({ event: 'end', at: 2_050, scheduledAt: 2_000, executionId: 'e2' }));
      const runs = await readLedger(path);
      expect(runs.map((r) => [r.executionId, r.startedAt, r.endedAt])).toEqual([
        ['e1', 1_001, 1_050],
        ['e2', 2_001, 2_050],
      ]);
      const report = checkLedger(runs, { expected: new Map([[1, [1_000, 2_000]]]) });
      expect(report.duplicates).toEqual([]);
      expect(report.overlaps).toEqual([]);
      expect(report.misses).toEqual([]);
      expect(existsSync(path)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds an injected duplicate, an overlap and a miss', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carillon-ledger-'));
    try {
      const path = join(dir, 'ledger.jsonl');
      // One fire under two execution ids (two servers both won it).
      appendLedger(path, line({ event: 'start', at: 1_001 }));
      appendLedger(path, line({ event: 'end', at: 1_010 }));
      appendLedger(path, line({ event: 'start', at: 1_002, executionId: 'e9', clientId: 'c2' }));
      appendLedger(path, line({ event: 'end', at: 1_012, executionId: 'e9', clientId: 'c2' }));
      // Attempt 2 of e3 while attempt 1 (on c1, never ended) still ran.
      const e3 = { scheduledAt: 3_000, executionId: 'e3' };
      appendLedger(path, line({ event: 'start', at: 3_001, ...e3 }));
      appendLedger(path, line({ event: 'start', at: 3_500, ...e3, attempt: 2, clientId: 'c2' }));
      appendLedger(path, line({ event: 'end', at: 3_600, ...e3, attempt: 2, clientId: 'c2' }));
      const runs = await readLedger(path);
      const report = checkLedger(runs, { expected: new Map([[1, [1_000, 2_000, 3_000]]]) });
      expect(report.duplicates.map((d) => d.reason)).toEqual(['one fire under two execution ids']);
      expect(report.duplicates[0]?.runs.map((r) => r.executionId).sort()).toEqual(['e1', 'e9']);
      expect(report.overlaps.map(([a, b]) => [a.attempt, b.attempt])).toEqual([[1, 2]]);
      expect(report.misses).toEqual([{ jobId: 1, scheduledAt: 2_000 }]);
      // Told that c1 died at 3 400, before attempt 2 started, the retry is no overlap.
      const told = checkLedger(runs, { clientDeaths: new Map([['c1', 3_400]]) });
      expect(told.overlaps).toEqual([]);
      // The same attempt started twice is a duplicate too.
      appendLedger(path, line({ event: 'start', at: 3_700, ...e3, attempt: 2, clientId: 'c3' }));
      const again = checkLedger(await readLedger(path), { clientDeaths: new Map([['c1', 3_400]]) });
      expect(again.duplicates.map((d) => d.reason)).toContain('execution attempt started twice');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
