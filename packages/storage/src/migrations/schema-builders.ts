import { sql } from 'kysely';
import type { CreateTableBuilder, Kysely } from 'kysely';
import type { DatabaseProfile } from '../database-profile.js';

// MariaDB DDL is not transactional: a step that fails halfway leaves what it made. Every step
// is therefore written to run again: tables `if not exists`, indexes tolerated when present.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations outlive the schema type
export type AnyDb = Kysely<any>;

export function table(
  db: AnyDb,
  profile: DatabaseProfile,
  name: string,
): CreateTableBuilder<string> {
  const builder = db.schema.createTable(name).ifNotExists();
  return profile.tableOptions === '' ? builder : builder.modifyEnd(sql.raw(profile.tableOptions));
}

export async function index(
  db: AnyDb,
  profile: DatabaseProfile,
  name: string,
  tableName: string,
  columns: readonly string[],
  unique = false,
): Promise<void> {
  let builder = db.schema
    .createIndex(name)
    .on(tableName)
    .columns([...columns]);
  if (unique) builder = builder.unique();
  if (profile.supportsCreateIndexIfNotExists) builder = builder.ifNotExists();
  try {
    await builder.execute();
  } catch (error) {
    if (profile.classifyError(error) !== 'exists') throw error;
  }
}
