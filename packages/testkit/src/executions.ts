import type { Execution, Stores, Subtask } from '@carillon/core';
import { waitFor } from './wait-for.js';

/** Whatever calls a console's API as a signed-in admin: a {@link Stack}, or a test cluster. */
export interface ConsoleCaller {
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The states of an execution that has not ended yet. */
const UNDER_WAY: readonly string[] = ['claimed', 'dispatched', 'running'];

/**
 * Creates a parallel job triggered through the API (`parallel-test` handler of the test client
 * unless `job` names another) and fires it once; resolves with the job and execution ids.
 */
export async function triggerParallelJob(
  caller: ConsoleCaller,
  job: {
    readonly groupId: string;
    readonly name: string;
    readonly description: string;
    readonly param: string;
    readonly [field: string]: unknown;
  },
): Promise<{ jobId: number; executionId: string }> {
  const { id } = await caller.api<{ id: number }>('POST', '/api/v1/jobs', {
    trigger: { type: 'api' },
    handler: 'parallel-test',
    kind: 'parallel',
    ...job,
  });
  const { executionId } = await caller.api<{ executionId: string }>(
    'POST',
    `/api/v1/jobs/${id}/trigger`,
    {},
  );
  return { jobId: id, executionId };
}

/** Waits until the execution is no longer claimed, dispatched or running, and resolves with it. */
export function waitForExecutionEnd(
  caller: ConsoleCaller,
  executionId: string,
  options: { readonly what?: string; readonly timeoutMs?: number; readonly intervalMs?: number },
): Promise<Execution> {
  return waitFor(
    options.what ?? 'the execution to end',
    async () => {
      const e = await caller.api<Execution>('GET', `/api/v1/executions/${executionId}`);
      return UNDER_WAY.includes(e.state) ? undefined : e;
    },
    {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.intervalMs === undefined ? {} : { intervalMs: options.intervalMs }),
    },
  );
}

/** Waits until at least `count` subtasks of the execution have succeeded (in the store). */
export async function waitForSubtasksSucceeded(
  stores: Stores,
  executionId: string,
  count: number,
  options: { readonly what: string; readonly timeoutMs?: number },
): Promise<void> {
  await waitFor(
    options.what,
    async () => {
      const counts = await stores.subtasks.countByState(executionId);
      return (counts.get('succeeded') ?? 0) >= count;
    },
    options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
  );
}

/** Every subtask of a parallel execution from the store, in order, page by page. */
export async function listAllSubtasks(stores: Stores, executionId: string): Promise<Subtask[]> {
  const subtasks: Subtask[] = [];
  for (let after = 0; ;) {
    const page = await stores.subtasks.listByExecution(executionId, { afterSeq: after });
    subtasks.push(...page);
    if (page.length < 1000) break;
    after = page[page.length - 1]?.seq ?? after;
  }
  return subtasks;
}
