import type { Execution } from '@carillon/core';
import type { ClientProcess, Stack, StackOptions } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases } from '@carillon/testkit';

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
