/**
 * `HandlerError.type` of a Result that reports a handler the client aborted on its own, cut off
 * from every server (or its process stopped) for longer than `Welcome.fence_ms` (outcome
 * CANCELLED). The client gave the run up expecting it to have been dispatched elsewhere: the
 * server treats it as a lost client (the job's `on_client_lost`), never as a user's cancel.
 */
export const FENCED_ERROR_TYPE = 'ExecutionFenced';
