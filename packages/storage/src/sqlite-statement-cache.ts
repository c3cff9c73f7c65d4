import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';

/** The part of better-sqlite3's Database that Kysely's SQLite driver uses. */
export interface PreparingDatabase {
  close(): void;
  prepare(sql: string): Statement;
}

/**
 * Wraps a better-sqlite3 database so that each distinct SQL text is prepared once. Kysely's
 * driver prepares on every query, and preparing cost as much as running the statement: the
 * scheduler issues the same few statements thousands of times a second. Statements are reused
 * one at a time (the driver runs one query at a time per connection), so sharing is safe.
 */
export function cachingStatements(
  database: SqliteDatabase,
  maxStatements = 500,
): PreparingDatabase {
  const cache = new Map<string, Statement>();
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (sql) => {
      const cached = cache.get(sql);
      if (cached !== undefined) return cached;
      const statement = database.prepare(sql);
      // Statements with literal values inlined would grow the cache without bound; evict the
      // oldest once it is full.
      if (cache.size >= maxStatements) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
      return statement;
    },
  };
}
