import { closeSync, mkdirSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Creates `dir` (and missing parents) readable by its owner only (0700): it holds the database
 * and secrets. An existing directory keeps its mode: it may be one the user named for more than
 * Carillon (`--data-dir .`).
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Creates the file of a `sqlite:///path` URL, and its missing directories, readable by the owner
 * only (0600 and 0700) before SQLite opens it: the database holds parameters, logs and token
 * hashes. SQLite gives its `-wal` and `-shm` files the database file's mode. An existing file is
 * left as it is (its mode may be the operator's choice); other URLs are ignored.
 */
export function prepareSqliteFile(dbUrl: string): void {
  if (!dbUrl.startsWith('sqlite:')) return;
  const url = new URL(dbUrl);
  if (url.pathname === ':memory:') return;
  const path = decodeURIComponent(url.pathname);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
}
