import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Execution } from '@carillon/core';
import type {
  ClientProcess,
  LedgerLine,
  Stack,
  StackOptions,
  TestDatabase,
} from '@carillon/testkit';
import { readLedgerLines, startClientProcess, startStack, testDatabases } from '@carillon/testkit';

/** A page of executions as the console returns it. */
export interface Page {
  readonly items: Execution[];
  readonly nextCursor: string | null;
}

/** A stack on a fresh SQLite database, a task group, and optionally a client process in it. */
export interface Scenario {
  readonly stack: Stack;
  readonly groupId: string;
  readonly clientToken: string;
  client: ClientProcess | undefined;
  /** Starts a client process (the real SDK) in the scenario's group. */
  startClient(clientId: string, concurrency?: number): Promise<ClientProcess>;
  /** Every execution of a job, oldest scheduled first. */
  executionsOf(jobId: number, state?: string): Promise<Execution[]>;
  stop(): Promise<void>;
}

/** Starts a scenario; `clientId` starts a client at once. */
export async function startScenario(options: {
  group: string;
  clientId?: string;
  server?: StackOptions['server'];
}): Promise<Scenario> {
  const db = testDatabases().find((d) => d.label === 'sqlite');
  if (db === undefined) throw new Error('no SQLite test database');
  const stack = await startStack({
    dbUrl: await db.create(),
    ...(options.server === undefined ? {} : { server: options.server }),
  });
  const { groupId, clientToken } = await stack.createGroup(options.group);
  const scenario: Scenario = {
    stack,
    groupId,
    clientToken,
    client: undefined,
    async startClient(clientId, concurrency) {
      const client = await startClientProcess({
        console: stack.consoleUrl,
        group: groupId,
        token: clientToken,
        clientId,
        ...(concurrency === undefined ? {} : { concurrency }),
      });
      scenario.client = client;
      return client;
    },
    async executionsOf(jobId, state) {
      const page = await stack.api<Page>(
        'GET',
        `/api/v1/executions?jobId=${jobId}&limit=500${state === undefined ? '' : `&state=${state}`}`,
      );
      return [...page.items].sort((a, b) => a.scheduledAt - b.scheduledAt);
    },
    async stop() {
      await scenario.client?.stop();
      await stack.stop();
      await db.drop();
    },
  };
  if (options.clientId !== undefined) await scenario.startClient(options.clientId);
  return scenario;
}

/** A stack, a task group and client processes that append to one ledger (parallel jobs). */
export interface ParallelScenario {
  readonly stack: Stack;
  readonly groupId: string;
  readonly clients: readonly ClientProcess[];
  /** The ledger file the client processes write their handlers' starts and ends to. */
  readonly ledger: string;
  /** Every ledger line so far, in the order written. */
  readonly lines: () => Promise<LedgerLine[]>;
  /** The ends the client processes wrote for the subtasks of a parallel execution. */
  readonly endsOf: (executionId: string) => Promise<LedgerLine[]>;
  stop(): Promise<void>;
}

/**
 * Starts a stack on `db` (default SQLite), a task group and one client process per id, each
 * with `concurrency` slots and the same ledger.
 */
export async function startParallelScenario(options: {
  group: string;
  clientIds: readonly string[];
  concurrency: number;
  /** Labels of some clients, by client id (for routing pins). */
  labels?: Readonly<Record<string, readonly string[]>>;
  db?: TestDatabase;
  server?: StackOptions['server'];
}): Promise<ParallelScenario> {
  const db = options.db ?? testDatabases().find((d) => d.label === 'sqlite');
  if (db === undefined) throw new Error('no SQLite test database');
  const ledger = join(mkdtempSync(join(tmpdir(), 'carillon-parallel-')), 'ledger.jsonl');
  const clients: ClientProcess[] = [];
  const dbUrl = await db.create();
  let stack: Stack | undefined;
  const stop = async (): Promise<void> => {
    for (const client of clients) await client.stop().catch(() => undefined);
    await stack?.stop();
    await db.drop();
  };
  try {
    stack = await startStack({
      dbUrl,
      ...(options.server === undefined ? {} : { server: options.server }),
    });
    const { groupId, clientToken } = await stack.createGroup(options.group);
    for (const clientId of options.clientIds) {
      clients.push(
        await startClientProcess({
          console: stack.consoleUrl,
          group: groupId,
          token: clientToken,
          clientId,
          concurrency: options.concurrency,
          ledger,
          ...(options.labels?.[clientId] === undefined ? {} : { labels: options.labels[clientId] }),
        }),
      );
    }
    return {
      stack,
      groupId,
      clients,
      ledger,
      lines: () => readLedgerLines(ledger),
      endsOf: async (executionId) =>
        (await readLedgerLines(ledger)).filter(
          (l) => l.parentId === executionId && l.event === 'end',
        ),
      stop,
    };
  } catch (error) {
    // A start that failed half-way ends what it started: no one else would stop it.
    await stop().catch(() => undefined);
    throw error;
  }
}
