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
    logger: logger.child({ component: 'coordinator' }),
  });
}

/**
 * A `lastSeenAt` younger than this marks a live peer: servers rewrite it every 250 ms, so this
 * is many missed heartbeats, not a slow database.
 */
export const STANDALONE_LIVE_MS = 5_000;

/**
 * Without a shared coordinator two servers of one ServerGroup would each lead holder assignment
 * and claim for themselves, so a second one is refused: a peer whose `servers` row was written
 * within {@link STANDALONE_LIVE_MS} counts as alive (every server rewrites it as a heartbeat). The same server id restarting is let through.
 *
 * @throws CarillonError `CARILLON_SERVER_GROUP_TAKEN` naming the live peer.
 */
export async function refuseSecondStandalone(
  stores: Stores,
  me: Pick<ServerRecord, 'id' | 'cluster' | 'serverGroup'>,
  nowMs: number,
): Promise<void> {
  const peers = await stores.servers.list(me.cluster, me.serverGroup);
  const live = peers.find((p) => p.id !== me.id && p.lastSeenAt > nowMs - STANDALONE_LIVE_MS);
  if (live === undefined) return;
  throw new CarillonError(
    CliErrorCode.ServerGroupTaken,
    `server "${live.id}" (${live.rpcAddress}) of ServerGroup ${me.serverGroup} in cluster ${me.cluster} was alive ${Math.round((nowMs - live.lastSeenAt) / 1000)} s ago; several servers of a ServerGroup need a shared coordinator: set CARILLON_ZK on all of them`,
  );
}
