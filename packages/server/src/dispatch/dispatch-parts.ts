import type { Clock, ExecutionStore, Job, JobStore, Logger, SubtaskStore } from '@carillon/core';
import type { ServerEventBus } from '../events.js';
import type { ClientPool } from './client-pool.js';
import type { ExecutionRecorder } from './execution-recorder.js';
import type { OverlapGuard } from './overlap-guard.js';
import type { SendQueue } from './send-queue.js';

/** Settings of the {@link Dispatcher}. */
export interface DispatcherOptions {
  readonly serverId: string;
  readonly executions: ExecutionStore;
  /** Where parallel jobs' subtasks are kept. */
  readonly subtasks: SubtaskStore;
  /** The job of an execution, if this server holds it. */
  readonly jobOf: (jobId: number) => Job | undefined;
  /**
   * Every job as stored: a claimed fire of a job this server holds no longer is given up to its
   * current holders, not failed. Default: none (such a fire is failed).
   */
  readonly jobs?: Pick<JobStore, 'get'>;
  readonly clock: Clock;
  readonly events: ServerEventBus;
  readonly logger: Logger;
  /**
   * How long a client cut off from every server keeps running handlers (told to clients in
   * the welcome); work of a vanished client waits this long before it runs again. Default 10,000 ms.
   */
  readonly fenceMs?: number;
  /**
   * Sends the group's change notice (the coordinator's), so that other servers pick up a
   * cancel request at once. Default: none (they find it at their next poll).
   */
  readonly notifyGroupChanged?: (groupId: string) => Promise<void>;
  /**
   * `cancel_previous` with the previous run on another server: the longest the new fire waits
   * for it to end before it runs anyway. Default 5,000 ms.
   */
  readonly cancelWaitMs?: number;
}

/** The state the parts of the dispatcher share; each part owns its own piece of it. */
export interface DispatchParts {
  readonly o: Required<DispatcherOptions>;
  readonly pool: ClientPool;
  readonly guard: OverlapGuard;
  readonly sends: SendQueue;
  readonly recorder: ExecutionRecorder;
}
