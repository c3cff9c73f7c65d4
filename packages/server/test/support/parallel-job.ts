import type { Stack } from '@carillon/testkit';

/**
 * Creates a parallel job named `name` (handler `parallel-test`, API trigger, no retries, plus
 * `settings`) and fires it once by hand; returns the execution's id.
 */
export async function triggerParallelJob(
  stack: Stack,
  groupId: string,
  name: string,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
    groupId,
    name,
    description: 'test',
    trigger: { type: 'api' },
    handler: 'parallel-test',
    kind: 'parallel',
    maxRetries: 0,
    ...settings,
  });
  const { executionId } = await stack.api<{ executionId: string }>(
    'POST',
    `/api/v1/jobs/${id}/trigger`,
    {},
  );
  return executionId;
}
