import type { AlertStore } from './alert-store.js';
import type { AuditStore } from './audit-store.js';
import type { ExecutionStore } from './execution-store.js';
import type { GroupStore } from './group-store.js';
import type { JobStore } from './job-store.js';
import type { ServerStore } from './server-store.js';
import type { SessionStore } from './session-store.js';
import type { SubtaskStore } from './subtask-store.js';
import type { UserStore } from './user-store.js';

/** Every store of one database, as the managers above them receive it. */
export interface Stores {
  readonly jobs: JobStore;
  readonly groups: GroupStore;
  readonly executions: ExecutionStore;
  readonly subtasks: SubtaskStore;
  readonly users: UserStore;
  readonly audit: AuditStore;
  readonly servers: ServerStore;
  readonly sessions: SessionStore;
  readonly alerts: AlertStore;
  /**
   * True when `error`, thrown by one of these stores, is trouble of the database that may pass
   * (a connection lost, killed or refused, a deadlock or lock wait timeout, a busy or read-only
   * database): the same call can be made again later. False for everything else (a malformed
   * argument, a bug), which trying again would not cure.
   */
  isTransient(error: unknown): boolean;
  /** Runs `work` with stores bound to one transaction; commits if it resolves. */
  transaction<T>(
    work: (stores: Omit<Stores, 'transaction' | 'close' | 'isTransient'>) => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}
