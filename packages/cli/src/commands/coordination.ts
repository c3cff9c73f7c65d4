import { setTimeout as sleep } from 'node:timers/promises';
import { InProcessCoordinator, ZooKeeperCoordinator } from '@carillon/coordination';
import type { Coordinator, Logger, ServerRecord, Stores } from '@carillon/core';
import { CarillonError } from '@carillon/core';
import type { ZooKeeperConfig } from '../config/cluster-config.js';
import { CliErrorCode } from '../errors.js';

/**
 * The coordinator a process of `cluster` uses: ZooKeeper when `CARILLON_ZK` is set, else an
 * in-process one (which sees no peers). Not started.
 */
export function makeCoordinator(
  zk: ZooKeeperConfig | undefined,
  cluster: number,
  logger: Logger,
): Coordinator {
  if (zk === undefined) return new InProcessCoordinator();
  return new ZooKeeperCoordinator({
    connection: zk.connection,
    cluster,
    sessionTimeoutMs: zk.sessionTimeoutMs,
    ...(zk.auth === undefined ? {} : { auth: zk.auth }),
    logger: logger.child({ component: 'coordinator' }),
  });
}

/**
 * A `lastSeenAt` younger than this marks a live peer: servers rewrite it every 250 ms, so this
 * is many missed heartbeats, not a slow database.
 */
export const STANDALONE_LIVE_MS = 5_000;

/**
 * How long a server whose own `servers` row is fresh watches it before starting: a live process
 * with the same id rewrites it every 100 ms, the row of this server's previous life does not.
 */
const TWIN_WATCH_MS = 2_000;

/**
 * Without a shared coordinator two servers of one ServerGroup would each lead holder assignment
 * and claim for themselves, so a second one is refused: a peer whose `servers` row was written
 * within {@link STANDALONE_LIVE_MS} counts as alive (every server rewrites it as a heartbeat).
 * The same server id is refused too while another process beats with it: fences go by server
 * id, so two processes of one id could each write over the other's executions. The same id
 * restarting after its process ended (its row fresh, but still) is let through.
 *
 * @throws CarillonError `CARILLON_SERVER_GROUP_TAKEN` naming the live peer, or
 *   `CARILLON_SERVER_ID_TAKEN` with `twinAdvice`.
 */
export async function refuseSecondStandalone(
  stores: Stores,
  me: Pick<ServerRecord, 'id' | 'cluster' | 'serverGroup'>,
  nowMs: number,
  twinAdvice = 'every server needs its own CARILLON_SERVER_ID',
): Promise<void> {
  const peers = await stores.servers.list(me.cluster, me.serverGroup);
  const isLive = (p: ServerRecord) => p.lastSeenAt > nowMs - STANDALONE_LIVE_MS;
  const live = peers.find((p) => p.id !== me.id && isLive(p));
  if (live !== undefined) {
    throw new CarillonError(
      CliErrorCode.ServerGroupTaken,
      `server "${live.id}" (${live.rpcAddress}) of ServerGroup ${me.serverGroup} in cluster ${me.cluster} was alive ${Math.round((nowMs - live.lastSeenAt) / 1000)} s ago; several servers of a ServerGroup need a shared coordinator: set CARILLON_ZK on all of them`,
    );
  }
  const self = peers.find((p) => p.id === me.id && isLive(p));
  if (self !== undefined) await refuseLiveTwin(stores, self, twinAdvice);
}

/** Throws when `seen`'s heartbeat moves on within {@link TWIN_WATCH_MS}: another process has its id. */
async function refuseLiveTwin(stores: Stores, seen: ServerRecord, advice: string): Promise<void> {
  await sleep(TWIN_WATCH_MS);
  const again = await stores.servers.get(seen.id);
  if (again === undefined || again.lastSeenAt <= seen.lastSeenAt) return;
  throw new CarillonError(
    CliErrorCode.ServerIdTaken,
    `server id "${seen.id}" is taken: a live process at ${again.rpcAddress} beats with it; ${advice}`,
  );
}
