import type { DatabaseProfile } from './database-profile.js';
import { withRetry } from './retry.js';
import { skipDuplicates } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';

/**
 * Records a cluster and one of its ServerGroups if they are not recorded yet. Runs on its own,
 * before any transaction that bumps the cluster's counter: inserting-if-absent takes a shared
 * lock on an existing row, and two transactions that then both update it would deadlock.
 */
export async function registerServerGroup(
  db: Db,
  profile: DatabaseProfile,
  cluster: number,
  serverGroup: number,
  nowMs: number,
): Promise<void> {
  await withRetry(db, profile, async () => {
    await skipDuplicates(
      db.insertInto('clusters').values({ id: cluster, last_group_number: 0, created_at: nowMs }),
      profile,
    ).execute();
    await skipDuplicates(
      db.insertInto('server_groups').values({ cluster, id: serverGroup, created_at: nowMs }),
      profile,
    ).execute();
  });
}
