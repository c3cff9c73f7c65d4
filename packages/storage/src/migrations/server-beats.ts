import type { Migration } from 'kysely';
import type { DatabaseProfile } from '../database-profile.js';

// Step 0014: heartbeats on the database's clock. `beating_since` is when a server's current
// unbroken run of beats began (see `ServerStore.beat`); 0 for servers recorded before, whose
// next beat, far from their last, starts a run.
export function serverBeats(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      try {
        await db.schema
          .alterTable('servers')
          .addColumn('beating_since', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
      } catch (error) {
        // Skipped when there (see 0012 for why).
        if (profile.classifyError(error) !== 'exists') throw error;
      }
    },
  };
}
