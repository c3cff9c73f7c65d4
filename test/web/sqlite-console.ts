// A console over a fresh SQLite database, no server running, and the admin's API calls: what
// the page tests start before they write rows and open Chromium.
import type { Stores } from '@carillon/core';
import { InProcessCoordinator } from '@carillon/coordination';
import type { ConsoleApp } from '@carillon/console';
import { createConsole, ensureAdmin } from '@carillon/console';
import { openStores } from '@carillon/storage';
import { testDatabases } from '@carillon/testkit';

/** What {@link startSqliteConsole} started. */
export interface SqliteConsole {
  readonly stores: Stores;
  /** The console's base URL. */
  readonly url: string;
  /** POSTs `body` to `/api/v1${path}` as the admin; the JSON answer, or throws on a non-2xx. */
  post<T>(path: string, body: unknown): Promise<T>;
  /** Closes the console, the coordinator and the stores; drops the database. */
  close(): Promise<void>;
}

/**
 * Starts a console (cluster 101, ServerGroup 1) over a fresh SQLite test database, bootstraps
 * the user `admin` with `password` and signs it in. Whatever started is stopped again if a
 * later step fails.
 */
export async function startSqliteConsole(password: string): Promise<SqliteConsole> {
  const db = testDatabases().find((d) => d.label === 'sqlite');
  if (db === undefined) throw new Error('no SQLite test database');
  const started: { stores?: Stores; coordinator?: InProcessCoordinator; app?: ConsoleApp } = {};
  const close = async (): Promise<void> => {
    await started.app?.close();
    await started.coordinator?.stop();
    await started.stores?.close();
    await db.drop();
  };
  try {
    const stores = await openStores({ url: await db.create() });
    started.stores = stores;
    const coordinator = new InProcessCoordinator();
    started.coordinator = coordinator;
    await coordinator.start();
    await ensureAdmin(stores, 'admin', password);
    const app = await createConsole({ stores, coordinator, cluster: 101, serverGroups: [1] });
    started.app = app;
    const url = await app.listen();
    const call = async <T>(path: string, body: unknown, token?: string): Promise<T> => {
      const answer = await fetch(`${url}/api/v1${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        body: JSON.stringify(body),
      });
      if (!answer.ok) throw new Error(`${path}: ${answer.status} ${await answer.text()}`);
      return (await answer.json()) as T;
    };
    const { token } = await call<{ token: string }>('/auth/login', { username: 'admin', password });
    return { stores, url, post: (path, body) => call(path, body, token), close };
  } catch (error) {
    await close();
    throw error;
  }
}
