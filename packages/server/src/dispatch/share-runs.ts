import type { Execution, Job, Subtask, SubtaskStore } from '@carillon/core';
import { JobKind, RoutingStrategy, matchesPins, shardsOf } from '@carillon/core';
import type { ShardOrder } from '@carillon/protocol';
import type { ClientPool } from './client-pool.js';
import type { DispatchParts } from './dispatch-parts.js';
import type { DispatchSummary, Run } from './run-book.js';
import { subtaskId } from './subtask-ids.js';

/**
 * How an execution's subtasks came to be: `sharded`, one per shard of a sharded job; `broadcast`,
 * one per client of the group connected at the fire, each pinned to its client.
 */
export type ShareKind = 'sharded' | 'broadcast';

/** The shares of a job's fires, or undefined when the job is neither sharded nor broadcast. */
export function shareKindOf(job: Job): ShareKind | undefined {
  if (job.kind === JobKind.Sharded) return 'sharded';
  if (job.routing === RoutingStrategy.Broadcast && job.kind === JobKind.Simple) return 'broadcast';
  return undefined;
}

/**
 * True when the job's fires run as subtasks that the owning server drives (a parallel job's
 * second level, a sharded job's shards, a broadcast job's shares): a fire adopted after its
 * subtasks were stored resumes them rather than running anything again.
 */
export function runsAsSubtasks(job: Job): boolean {
  return job.kind === JobKind.Parallel || shareKindOf(job) !== undefined;
}

/** What a share's subtask keeps as its payload (JSON): its index, and its param or its client. */
interface SharePayload {
  readonly index: number;
  readonly param?: string | null;
  readonly client?: string;
}

function payloadOf(subtask: Subtask): SharePayload {
  try {
    const value = JSON.parse(subtask.payload) as Partial<SharePayload> | null;
    return {
      index: typeof value?.index === 'number' ? value.index : Math.max(0, subtask.seq - 1),
      param: typeof value?.param === 'string' ? value.param : null,
      ...(typeof value?.client === 'string' ? { client: value.client } : {}),
    };
  } catch {
    return { index: Math.max(0, subtask.seq - 1), param: null };
  }
}

/** The shard order of a share's subtask, for its dispatch. */
export function shardOrderOf(run: Run, subtask: Subtask): ShardOrder {
  const payload = payloadOf(subtask);
  const count = Math.max(run.summary.subtasks, payload.index + 1);
  return {
    parentExecutionId: run.execution.id,
    index: payload.index,
    count,
    param: payload.param ?? null,
  };
}

/** The client a broadcast share is pinned to; undefined for a shard (it goes anywhere). */
export function pinOf(subtask: Subtask): string | undefined {
  return payloadOf(subtask).client;
}

/**
 * The clients a broadcast fire goes to: connected clients of the job's group that registered its
 * handler and match its pins, in client id order (the order every server sees).
 */
export function broadcastClients(pool: ClientPool, job: Job): string[] {
  return pool
    .listByGroup(job.groupId)
    .filter(({ link }) => link.handlers.has(job.handler) && matchesPins(job, link))
    .map(({ link }) => link.clientId)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Where the placer sends a run's shares now, and the broadcast shares whose client is gone. */
export interface SharePlan {
  readonly byClient: Map<string, Subtask[]>;
  /** Broadcast shares whose client has been away for the fence interval: they fail. */
  readonly lost: Subtask[];
  /** When to look again at shares whose client is away (ms from now); undefined: no need. */
  readonly recheckMs: number | undefined;
}

/** Since when each broadcast share has waited for a client that is not connected. */
const absentSince = new WeakMap<Run, Map<string, number>>();

/**
 * Places a run's pending shares on clients with free slots, reserving each slot. Shards go to
 * the clients that match the job's pins, the next one to the client with the most free slots,
 * ties to the room that has the fewest of the run's shards so far (spread by load, then rooms).
 * A broadcast share goes only to its own client; while that client is not connected it waits,
 * and once it has been away for `fenceMs` the share is `lost` (broadcast means "on each client":
 * it is not moved to another).
 */
export function planShares(run: Run, pool: ClientPool, nowMs: number, fenceMs: number): SharePlan {
  const { job } = run;
  const free = new Map<string, number>();
  const roomOf = new Map<string, string>();
  for (const { link } of pool.listByGroup(job.groupId)) {
    if (!matchesPins(job, link)) continue;
    roomOf.set(link.clientId, link.room);
    const n = pool.freeFor(link.clientId, job.handler);
    if (n > 0) free.set(link.clientId, n);
  }
  const byClient = new Map<string, Subtask[]>();
  const take = (clientId: string, subtask: Subtask): void => {
    const n = free.get(clientId) ?? 0;
    if (n <= 1) free.delete(clientId);
    else free.set(clientId, n - 1);
    pool.reserveOn(clientId, job.handler);
    const list = byClient.get(clientId) ?? [];
    list.push(subtask);
    byClient.set(clientId, list);
  };
  const lost: Subtask[] = [];
  let recheckMs: number | undefined;
  if (run.summary.shares === 'broadcast') {
    const away = absentSince.get(run) ?? new Map<string, number>();
    absentSince.set(run, away);
    const keep: Subtask[] = [];
    for (let s = run.pending.shift(); s !== undefined; s = run.pending.shift()) {
      const client = pinOf(s) ?? '';
      if (pool.get(client) === undefined) {
        const since = away.get(s.id) ?? nowMs;
        away.set(s.id, since);
        if (nowMs - since >= fenceMs) {
          away.delete(s.id);
          lost.push(s);
          continue;
        }
        const left = since + fenceMs - nowMs;
        recheckMs = recheckMs === undefined ? left : Math.min(recheckMs, left);
        keep.push(s);
        continue;
      }
      away.delete(s.id);
      if ((free.get(client) ?? 0) > 0) take(client, s);
      else keep.push(s);
    }
    for (const s of keep) run.pending.push(s);
    return { byClient, lost, recheckMs };
  }
  // Shards of this run per room, in flight and placed now, to break ties between rooms.
  const perRoom = new Map<string, number>();
  for (const sent of run.sent.values()) {
    const room = sent.clientId === null ? undefined : roomOf.get(sent.clientId);
    if (room !== undefined) perRoom.set(room, (perRoom.get(room) ?? 0) + 1);
  }
  while (run.pending.length > 0 && free.size > 0) {
    let best: string | undefined;
    let most = 0;
    let bestRoomLoad = Infinity;
    for (const [clientId, n] of free) {
      const roomLoad = perRoom.get(roomOf.get(clientId) ?? '') ?? 0;
      if (n > most || (n === most && roomLoad < bestRoomLoad))
        [best, most, bestRoomLoad] = [clientId, n, roomLoad];
    }
    if (best === undefined) break;
    const room = roomOf.get(best) ?? '';
    perRoom.set(room, (perRoom.get(room) ?? 0) + 1);
    take(best, run.pending.shift() as Subtask);
  }
  return { byClient, lost, recheckMs };
}

/**
 * Starts the fires of sharded jobs and broadcast jobs: no client runs a first level; at the
 * fire's instant the server itself stores one subtask per shard (per client for broadcast), with
 * ids derived from the execution id and the share's position as for a parallel job's items, and
 * hands them to the subtask machinery of parallel jobs, which places them, records them, runs a
 * lost client's shards again elsewhere and ends the execution by the same rule.
 */
export class ShareStarter {
  readonly #p: DispatchParts;
  readonly #store: SubtaskStore;
  readonly #run: (execution: Execution, job: Job, summary: DispatchSummary) => Promise<void>;
  readonly #endHold: (job: Job, executionId: string) => void;

  constructor(
    parts: DispatchParts,
    store: SubtaskStore,
    run: (execution: Execution, job: Job, summary: DispatchSummary) => Promise<void>,
    endHold: (job: Job, executionId: string) => void,
  ) {
    this.#p = parts;
    this.#store = store;
    this.#run = run;
    this.#endHold = endHold;
  }

  /** Starts a claimed fire's shares at its instant (it was claimed ahead). */
  start(execution: Execution, job: Job, kind: ShareKind): Promise<void> {
    // Held at once, before any write: the job's overlap policy sees this fire as running.
    this.#p.guard.begin(job.id, execution.id);
    const { clock } = this.#p.o;
    const wait = execution.scheduledAt - clock.now();
    const go = (): Promise<void> =>
      this.#startNow(execution, job, kind).catch((error: unknown) => {
        this.#endHold(job, execution.id);
        this.#p.o.logger.warn(
          { err: error, executionId: execution.id },
          'shares could not be started; whoever adopts the execution starts them',
        );
      });
    if (wait <= 0) return go();
    return new Promise((resolve) => clock.after(wait, () => void go().then(resolve)));
  }

  async #startNow(execution: Execution, job: Job, kind: ShareKind): Promise<void> {
    const { o, recorder, pool } = this.#p;
    const id = execution.id;
    const now = o.clock.now();
    if (kind === 'sharded') {
      // Same ids on every start: a start cut short and taken up again adds nothing.
      const rows = shardsOf(job).map((shard) => ({
        id: subtaskId(id, shard.index + 1),
        payload: JSON.stringify({ index: shard.index, param: shard.param }),
      }));
      await this.#store.insertBatch(id, rows, now);
    } else if ((await this.#store.listByExecution(id, { limit: 1 })).length === 0) {
      // The clients of the fire are fixed by whoever stores them first: a start taken up
      // after a crash keeps the shares already stored rather than a new set of clients.
      const clients = broadcastClients(pool, job);
      if (clients.length === 0) {
        const reason = `broadcast: no client of group ${job.groupId} with handler "${job.handler}" was connected at the fire`;
        this.#endHold(job, id);
        if (await recorder.change(execution, ['claimed'], 'skipped', { reason, finishedAt: now }))
          o.events.emit('execution:unrouted', { execution, reason });
        return;
      }
      const rows = clients.map((client, index) => ({
        id: subtaskId(id, index + 1),
        payload: JSON.stringify({ index, client }),
      }));
      await this.#store.insertBatch(id, rows, now);
    }
    let subtasks = 0;
    for (const n of (await this.#store.countByState(id)).values()) subtasks += n;
    const summary: DispatchSummary = { subtasks, reduce: false, shares: kind };
    const ok =
      (await recorder.change(execution, ['claimed'], 'dispatched', { dispatchedAt: now })) &&
      (await recorder.change({ ...execution, state: 'dispatched' }, ['dispatched'], 'running', {
        startedAt: now,
        result: JSON.stringify(summary),
      }));
    if (!ok) {
      // Cancelled meanwhile, or adopted by a peer: not ours to run.
      this.#endHold(job, id);
      return;
    }
    await this.#run(
      { ...execution, state: 'running', result: JSON.stringify(summary) },
      job,
      summary,
    );
  }
}
