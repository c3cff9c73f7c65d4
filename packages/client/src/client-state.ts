/**
 * Where a client stands: `created` → `starting` → `running` → `stopping` → `stopped`. A failed
 * `start()` goes from `starting` to `stopped`; a stopped client cannot start again.
 */
export const ClientState = {
  Created: 'created',
  Starting: 'starting',
  Running: 'running',
  Stopping: 'stopping',
  Stopped: 'stopped',
} as const;
/** One of the {@link ClientState} values. */
export type ClientState = (typeof ClientState)[keyof typeof ClientState];
