import type { AlertStore } from './alert-store.js';
import type { AuditStore } from './audit-store.js';
import type { ExecutionStore } from './execution-store.js';
import type { GroupStore } from './group-store.js';
import type { JobStore } from './job-store.js';
import type { ServerStore } from './server-store.js';
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
  readonly alerts: AlertStore;
  /** Runs `work` with stores bound to one transaction; commits if it resolves. */
  transaction<T>(work: (stores: Omit<Stores, 'transaction' | 'close'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
