import type { Migration } from 'kysely';
import type { DatabaseProfile } from '../database-profile.js';

// Step 0013: sharded jobs. `shard_count` is 0 for every job that is not sharded, so jobs stored
// earlier stay what they were; `shard_params` is a JSON list by shard index, null for none (TEXT
// takes no default on older MySQL, so it is nullable instead).
export function sharding(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      // One column per statement, each skipped when there (see 0012 for why).
      const steps = [
        () =>
          db.schema
            .alterTable('jobs')
            .addColumn('shard_count', 'integer', (c) => c.notNull().defaultTo(0))
            .execute(),
        () => db.schema.alterTable('jobs').addColumn('shard_params', 'text').execute(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          if (profile.classifyError(error) !== 'exists') throw error;
        }
      }
    },
  };
}
