import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Execution } from '@carillon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientProcess, Stack, TestDatabase } from '../src/index.js';
import {
  checkLedger,
  readLedger,
  startClientProcess,
  startStack,
  testDatabases,
  waitFor,
} from '../src/index.js';

describe('a client process writing the ledger', () => {
  let db: TestDatabase;
  let stack: Stack;
  let dir: string;
  let client: ClientProcess | undefined;

  beforeAll(async () => {
    const sqlite = testDatabases().find((d) => d.label === 'sqlite');
    if (sqlite === undefined) throw new Error('no SQLite test database');
    db = sqlite;
    stack = await startStack({ dbUrl: await db.create() });
    dir = await mkdtemp(join(tmpdir(), 'carillon-ledger-'));
  });

  afterAll(async () => {
    await client?.stop();
    await stack?.stop();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('records every run of a per-second job once, matching the stored executions', async () => {
    const ledger = join(dir, 'ledger.jsonl');
    const { groupId, clientToken } = await stack.createGroup('ledger');
    client = await startClientProcess({
      console: stack.consoleUrl,
      group: groupId,
      token: clientToken,
      clientId: 'ledger-client',
      ledger,
    });
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'per second',
      description: 'echo',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'echo',
    });
    await waitFor('three finished runs in the ledger', async () => {
      const runs = await readLedger(ledger);
      return runs.filter((r) => r.endedAt !== undefined).length >= 3;
    });
    await stack.api('POST', `/api/v1/jobs/${jobId}/disable`);
    const stored = await waitFor('every stored execution to finish', async () => {
      const page = await stack.api<{ items: Execution[] }>(
        'GET',
        `/api/v1/executions?jobId=${jobId}&limit=100`,
      );
      return page.items.every((e) => e.state === 'succeeded') ? page.items : undefined;
    });
    const runs = await readLedger(ledger);
    const instants = stored.map((e) => e.scheduledAt).sort((a, b) => a - b);
    const report = checkLedger(runs, { expected: new Map([[jobId, instants]]) });
    expect(report.duplicates).toEqual([]);
    expect(report.overlaps).toEqual([]);
    expect(report.misses).toEqual([]);
    expect(runs.map((r) => r.executionId).sort()).toEqual(stored.map((e) => e.id).sort());
    expect(runs.every((r) => r.clientId === 'ledger-client' && r.outcome === 'succeeded')).toBe(
      true,
    );
  });
});
