import type {
  Execution,
  ExecutionCause,
  ExecutionLog,
  ExecutionState,
  LogLevel,
} from '../execution.js';

/** A fire a server wants to claim. `id` is made by the claimer, so it can tell whether it won. */
export interface FireClaim {
  readonly id: string;
  readonly jobId: number;
  readonly groupId: string;
  readonly scheduledAt: number;
  readonly cause: ExecutionCause;
  readonly param: string | null;
  /** `skipped` for misfired or overlapping instants recorded without running; else `claimed`. */
  readonly state?: 'claimed' | 'skipped';
  readonly reason?: string | null;
}

/** The expected current values of a fenced change: it applies only if all of them still hold. */
export interface Fence {
  readonly id: string;
  readonly from: readonly ExecutionState[];
  readonly ownerServerId: string;
  readonly attempt: number;
  /** When given, the execution must also be on this client (a Result another server records). */
  readonly clientId?: string;
}

/** The columns a transition may set besides `state`. */
export interface ExecutionPatch {
  readonly clientId?: string | null;
  readonly dispatchedAt?: number | null;
  readonly startedAt?: number | null;
  readonly finishedAt?: number | null;
  readonly result?: string | null;
  readonly reason?: string | null;
  readonly progress?: number | null;
  /** Set to bump the attempt (a re-dispatch); must be the fence's attempt + 1. */
  readonly attempt?: number;
  /** Set when a re-dispatch changes why the execution runs (`retry`, `failover`). */
  readonly cause?: ExecutionCause;
  /**
   * Null gives a `claimed` execution up: it becomes unowned, and a holder of its job takes it
   * ({@link ExecutionStore.takeUnowned}), as it does a manual fire.
   */
  readonly ownerServerId?: null;
}

/** One fenced transition, for {@link ExecutionStore.transitionMany}. */
export interface ExecutionChange {
  readonly fence: Fence;
  readonly state: ExecutionState;
  readonly patch?: ExecutionPatch;
}

/** One page of executions, newest first. */
export interface ExecutionPage {
  readonly items: readonly Execution[];
  /** Pass back to get the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface ExecutionQuery {
  readonly jobId?: number;
  readonly groupId?: string;
  readonly states?: readonly ExecutionState[];
  /** Only executions scheduled at or after this instant (ms). */
  readonly from?: number;
  /** Only executions scheduled before this instant (ms). */
  readonly to?: number;
  /** 1..500; default 50. */
  readonly limit?: number;
  readonly cursor?: string | null;
}

/** A log line to append; `seq` is given by the store, in order of arrival per execution. */
export interface LogLine {
  readonly executionId: string;
  readonly at: number;
  readonly level: LogLevel;
  readonly message: string;
}

/**
 * The executions of jobs: one row per fire. The unique key on (job, scheduled instant) of
 * scheduled fires is what guarantees that a fire runs once, whatever the coordination does.
 */
export interface ExecutionStore {
  /**
   * Inserts every claim whose (job, scheduledAt) has no execution yet, owned by `serverId` with
   * attempt 1, in as few statements as the database allows. Only `schedule` and `misfire`
   * claims are unique per (job, scheduledAt); manual and retry fires never collide. Returns the
   * ids of the claims this call inserted (won), or an earlier call with the same ids did (so a
   * retry after a lost reply is safe); the others were taken before.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a malformed claim or a repeated id.
   */
  claimFires(
    serverId: string,
    claims: readonly FireClaim[],
    nowMs: number,
  ): Promise<ReadonlySet<string>>;

  /**
   * Records a manual fire ("trigger once") as `claimed` with no owner yet; a holder of the job
   * takes it with {@link ExecutionStore.takeUnowned}. Returns the stored execution.
   *
   * @throws CarillonError `CARILLON_NOT_FOUND` if the job does not exist, `CARILLON_CONFLICT` if
   *   the claim is a scheduled one for an instant already recorded.
   */
  insertManual(claim: FireClaim, nowMs: number): Promise<Execution>;

  /**
   * Takes the unowned `claimed` executions of the given jobs for `serverId` (owner null →
   * serverId, compare-and-set per row, so of two servers each row goes to exactly one).
   * Returns the executions this call took.
   */
  takeUnowned(serverId: string, jobIds: readonly number[]): Promise<readonly Execution[]>;

  /**
   * The jobs that have unowned `claimed` executions (manual fires no holder has taken yet), so
   * that a server asks {@link ExecutionStore.takeUnowned} about those alone, however many jobs
   * it holds.
   */
  listJobsWithUnowned(): Promise<readonly number[]>;

  /**
   * Compare-and-set: sets `state` and `patch` only if the execution is still in one of
   * `fence.from`, owned by `fence.ownerServerId`, at `fence.attempt`. Returns whether it applied;
   * false means someone newer owns it (the caller has lost its standing and must drop it).
   * A change found already in place (the target state at that owner and resulting attempt: an
   * earlier try committed, its reply lost) answers true, so trying a change again is safe.
   * A `from` equal to `state` patches without a state change (progress while running).
   *
   * @throws CarillonError `CARILLON_INVALID_TRANSITION` if a state of `fence.from` cannot lead
   *   to `state`; `CARILLON_INVALID_ARGUMENT` if `patch.attempt` is not `fence.attempt + 1`.
   */
  transition(fence: Fence, state: ExecutionState, patch?: ExecutionPatch): Promise<boolean>;

  /**
   * Applies many fenced transitions in one transaction, in order (a later change of the same
   * execution sees the earlier one), so that a busy server pays one commit for a batch.
   * Returns, per change, whether it applied.
   */
  transitionMany(changes: readonly ExecutionChange[]): Promise<boolean[]>;

  /**
   * Takes over the unfinished executions of `deadServerId` (claimed, dispatched, running) for
   * the given jobs (all of its jobs when omitted): owner becomes `newServerId`, state `claimed`,
   * attempt + 1. Returns the executions as they are after the takeover. With `claimedIds`, only
   * those executions, and only while still `claimed` (never sent to a client): a standby takes
   * fires a gone server claimed without touching what it dispatched. A takeover tried again
   * within the call after it committed (its reply lost to a dropped connection) returns the rows
   * it moved, still `claimed` at `newServerId` at the attempt it set; a concurrent adoption by
   * `newServerId` itself may then return some of the same rows, so the caller must route an
   * execution at an attempt once.
   */
  adoptOrphans(
    deadServerId: string,
    newServerId: string,
    jobIds?: readonly number[],
    claimedIds?: readonly string[],
  ): Promise<readonly Execution[]>;

  /**
   * Moves `ids`, executions of `deadServerId` in flight on a client (dispatched or running),
   * to `newServerId` at the same attempt and state. Their client is alive and connected to the
   * new owner: it still runs them, or holds their Result, and must not run them a second time
   * at a new attempt. Returns those moved, and those of `ids` the new owner already holds in
   * flight (a call whose reply was lost), as they are after it.
   */
  adoptInFlight(
    deadServerId: string,
    newServerId: string,
    ids: readonly string[],
  ): Promise<readonly Execution[]>;

  get(id: string): Promise<Execution | undefined>;

  /**
   * Marks an unfinished execution for cancellation (the console asks; the owning server, which
   * holds the client's stream, carries it out). Returns the execution, or undefined if it does
   * not exist; a finished execution is returned unchanged.
   */
  requestCancel(id: string, nowMs: number): Promise<Execution | undefined>;

  /** Unfinished executions owned by `serverId` whose cancellation was asked for. */
  listCancelRequested(serverId: string): Promise<readonly Execution[]>;

  /** Executions in `states` of a job, oldest first (for overlap and restart recovery). */
  listByJobAndStates(
    jobId: number,
    states: readonly ExecutionState[],
  ): Promise<readonly Execution[]>;

  /**
   * The `claimed` executions of the given jobs scheduled at or after `fromMs` (unowned ones
   * too), oldest first, in one read per 1,000 jobs: what a server that starts holding jobs
   * reads to watch the fires its peers claimed and have not dispatched.
   */
  listClaimedOfJobs(jobIds: readonly number[], fromMs: number): Promise<readonly Execution[]>;

  /** Unfinished executions owned by a server, oldest first (for recovery after a restart). */
  listUnfinishedByOwner(serverId: string): Promise<readonly Execution[]>;

  /**
   * The executions recorded for the given scheduled fires (schedule and misfire causes, unique
   * per job and instant), in one read per batch of jobs: how a standby holder learns which fires
   * of a time slot the preferred holder has claimed. Fires with no row are simply absent.
   */
  findFires(
    fires: ReadonlyArray<{ readonly jobId: number; readonly scheduledAt: number }>,
  ): Promise<readonly Execution[]>;

  /**
   * How many of the given fires have a row in hand: dispatched or further, or claimed by
   * `serverId`, or by no server. A standby holder's quick look at a time slot: when it is the
   * number of fires, none is missing and none is a peer's claim still to be dispatched, and
   * their rows need not be read ({@link findFires}).
   */
  countFiresInHand(
    serverId: string,
    fires: ReadonlyArray<{ readonly jobId: number; readonly scheduledAt: number }>,
  ): Promise<number>;

  /** The latest scheduled instant recorded for each job (schedule and misfire causes), for misfire detection. */
  lastScheduledAt(jobIds: readonly number[]): Promise<ReadonlyMap<number, number>>;

  /**
   * Pages through executions, newest scheduled first, ties by id; `states: []` matches nothing.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a limit outside 1..500 or a cursor
   *   this store did not make.
   */
  page(query: ExecutionQuery): Promise<ExecutionPage>;

  /**
   * Appends log lines (from any number of executions) in one batch; `seq` follows each
   * execution's last line, in the order given, also against concurrent appenders. Messages over
   * 16,384 characters are cut (ending in `…`).
   *
   * @throws CarillonError `CARILLON_NOT_FOUND` if an execution does not exist (nothing written).
   */
  appendLogs(lines: readonly LogLine[]): Promise<void>;

  /** Log lines of an execution in order, after `afterSeq` (exclusive). */
  listLogs(
    executionId: string,
    afterSeq?: number,
    limit?: number,
  ): Promise<readonly ExecutionLog[]>;
}
