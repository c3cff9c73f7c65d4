// A stack with its observability and one client process: what the metrics and traces tests
// both start, and stop in the reverse order.
import type { ServerObservability } from '@carillon/server';
import { observeServer } from '@carillon/server';
import type { ClientProcess, Stack, TestDatabase } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases } from '@carillon/testkit';

/** What {@link startObservedStack} started. */
export interface ObservedStack {
  readonly db: TestDatabase;
  readonly stack: Stack;
  readonly observe: ServerObservability;
  /** The task group the client process serves. */
  readonly groupId: string;
  /** Stops the client process, the observability and the stack; drops the database. */
  close(): Promise<void>;
}

/**
 * Starts a stack on a fresh `label` test database, observes its server (`options` as
 * `observeServer` takes them; the health service also on the server's gRPC port), and starts a
 * client process `<group>-client` in a new task group `group`. Whatever started is stopped
 * again if a later step fails.
 */
export async function startObservedStack(
  label: 'mariadb' | 'sqlite',
  group: string,
  options: { readonly port?: number; readonly processMetrics?: boolean } = {},
): Promise<ObservedStack> {
  const db = testDatabases().find((d) => d.label === label);
  if (db === undefined) throw new Error(`no ${label} test database`);
  const started: { stack?: Stack; observe?: ServerObservability; client?: ClientProcess } = {};
  const close = async (): Promise<void> => {
    await started.client?.stop();
    await started.observe?.close();
    await started.stack?.stop();
    await db.drop();
  };
  try {
    const stack = await startStack({ dbUrl: await db.create() });
    started.stack = stack;
    const observe = await observeServer({
      server: stack.server,
      stores: stack.stores,
      coordinator: stack.coordinator,
      ...options,
    });
    started.observe = observe;
    const rpc = stack.server.rpcAddress;
    observe.serveOnGrpcPort(Number(rpc.slice(rpc.lastIndexOf(':') + 1)));
    const { groupId, clientToken } = await stack.createGroup(group);
    started.client = await startClientProcess({
      console: stack.consoleUrl,
      group: groupId,
      token: clientToken,
      clientId: `${group}-client`,
    });
    return { db, stack, observe, groupId, close };
  } catch (error) {
    await close();
    throw error;
  }
}
