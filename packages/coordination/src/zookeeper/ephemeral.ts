import type { ACL, Client } from 'node-zookeeper-client';
import zookeeper from 'node-zookeeper-client';
import { CoordinationErrorCode, coordinationError } from '../errors.js';
import { create, exists, isNodeExists, setData } from './zk-calls.js';

/**
 * Creates the ephemeral node `path` for this client's session, or updates it when this session
 * already owns it (a create whose reply was lost to a dropped connection). When another session
 * owns it (this server's previous life, killed before its session expired) waits up to
 * `waitMs` for that session to expire and the node to go.
 *
 * @throws CarillonError `CARILLON_COORDINATION_ALREADY_REGISTERED` when it stays taken
 */
export async function createEphemeral(
  client: Client,
  path: string,
  data: Buffer,
  waitMs: number,
  acls: ACL[],
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await create(client, path, data, zookeeper.CreateMode.EPHEMERAL, acls);
      return;
    } catch (error) {
      if (!isNodeExists(error)) throw error;
    }
    let wake: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (wake = resolve));
    const stat = await exists(client, path, () => wake());
    if (stat === undefined) continue;
    if (stat.ephemeralOwner.equals(client.getSessionId())) {
      await setData(client, path, data);
      return;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw coordinationError(
        CoordinationErrorCode.AlreadyRegistered,
        `${path} is held by another ZooKeeper session`,
        undefined,
        { path },
      );
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, left)))]);
    clearTimeout(timer);
  }
}
