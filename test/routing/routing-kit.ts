import { Client } from '@carillon/client';
import type { Execution } from '@carillon/core';
import type { Stack } from '@carillon/testkit';
import { startStack, testDatabases, waitFor } from '@carillon/testkit';

/** A stack on SQLite, a task group, and SDK clients (real gRPC) started in this process. */
export interface RoutingKit {
  readonly stack: Stack;
  readonly groupId: string;
  readonly clientToken: string;
  /** Starts an SDK client with `echo` and `sleep` (param: ms) handlers. */
  client(
    clientId: string,
    options?: { labels?: string[]; room?: string; concurrency?: number },
  ): Promise<Client>;
  createJob(spec: Record<string, unknown>): Promise<number>;
  /** Triggers the job `count` times, one after another; resolves with the execution ids. */
  trigger(jobId: number, count: number): Promise<string[]>;
  /** Waits until these executions all ended, and returns them. */
  ended(ids: readonly string[], timeoutMs?: number): Promise<Execution[]>;
  stop(): Promise<void>;
}

const ENDED = new Set(['succeeded', 'failed', 'skipped', 'cancelled', 'timed_out']);

export async function startRoutingKit(group: string): Promise<RoutingKit> {
  const db = testDatabases().find((d) => d.label === 'sqlite');
  if (db === undefined) throw new Error('no SQLite test database');
  const stack = await startStack({ dbUrl: await db.create() });
  const { groupId, clientToken } = await stack.createGroup(group);
  const clients: Client[] = [];
  const kit: RoutingKit = {
    stack,
    groupId,
    clientToken,
    async client(clientId, options = {}) {
      const concurrency = options.concurrency ?? 4;
      const client = new Client({
        servers: [stack.server.rpcAddress],
        group: groupId,
        token: clientToken,
        clientId,
        capacity: concurrency,
        ...(options.labels === undefined ? {} : { labels: options.labels }),
        ...(options.room === undefined ? {} : { room: options.room }),
      });
      client.register('echo', {
        concurrency,
        execute: (ctx) => Promise.resolve(`echo:${ctx.param ?? ''}`),
      });
      client.register('sleep', {
        concurrency,
        execute: (ctx) =>
          new Promise((resolve) => setTimeout(() => resolve('slept'), Number(ctx.param ?? '0'))),
      });
      await client.start();
      clients.push(client);
      return client;
    },
    async createJob(spec) {
      const body = {
        groupId,
        trigger: { type: 'api' },
        handler: 'echo',
        ...spec,
      };
      return (await stack.api<{ id: number }>('POST', '/api/v1/jobs', body)).id;
    },
    async trigger(jobId, count) {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const { executionId } = await stack.api<{ executionId: string }>(
          'POST',
          `/api/v1/jobs/${jobId}/trigger`,
          {},
        );
        ids.push(executionId);
      }
      return ids;
    },
    async ended(ids, timeoutMs = 20_000) {
      return waitFor(
        `${ids.length} executions to end`,
        async () => {
          const all = await Promise.all(
            ids.map((id) => stack.api<Execution>('GET', `/api/v1/executions/${id}`)),
          );
          return all.every((e) => ENDED.has(e.state)) ? all : undefined;
        },
        { timeoutMs },
      );
    },
    async stop() {
      await Promise.all(clients.map((c) => c.stop({ graceMs: 500 }).catch(() => undefined)));
      await stack.stop();
      await db.drop();
    },
  };
  return kit;
}

/** Executions per client id, printed for the test log. */
export function countByClient(
  label: string,
  executions: readonly Execution[],
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of executions) {
    const key = e.clientId ?? `(${e.state})`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  console.log(`[routing] ${label}: ${JSON.stringify(counts)}`);
  return counts;
}
