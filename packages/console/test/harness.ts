import { InProcessCoordinator } from '@carillon/coordination';
import type { Stores } from '@carillon/core';
import { ManualClock } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { TestDatabase } from '@carillon/testkit';
import { testDatabases } from '@carillon/testkit';
import type { ConsoleApp, ErrorBody } from '../src/index.js';
import { createConsole, ensureAdmin } from '../src/index.js';

/** A database for one test file: where it is, and how to get rid of it. */
export interface DatabaseFixture {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

async function fixture(label: TestDatabase['label']): Promise<DatabaseFixture> {
  const database = testDatabases().find((d) => d.label === label);
  if (database === undefined) throw new Error(`no test database ${label}`);
  return { name: label, url: await database.create(), drop: () => database.drop() };
}

/** A fresh SQLite file in a temp directory. */
export function sqliteDatabase(): Promise<DatabaseFixture> {
  return fixture('sqlite');
}

/** A fresh database `carillon_t_<random>` on the MariaDB at 127.0.0.1:3306. */
export function mariadbDatabase(): Promise<DatabaseFixture> {
  return fixture('mariadb');
}

/** One entry of a list answer, read by assertions. */
export type Item = Readonly<Record<string, unknown>>;

/**
 * The JSON of an answer as tests read it when they do not name a type: the error shape, a list,
 * or anything else as `unknown` for the assertions to check.
 */
export interface Body {
  readonly error: ErrorBody['error'];
  readonly items: readonly Item[];
  readonly nextCursor?: string | null;
  readonly [key: string]: unknown;
}

/** An HTTP answer: status, parsed JSON body (or text), headers. */
export interface Answer<T = Body> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** Options of one call. */
export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as it is, with `contentType`. */
  readonly raw?: string;
  readonly contentType?: string;
  readonly authorization?: string;
}

/** The instant the test clock starts at: 30 s before 07:00 UTC on 2026-03-08. */
export const START_MS = Date.parse('2026-03-08T06:59:30.000Z');

/** The admin every harness bootstraps. */
export const ADMIN = { username: 'admin', password: 'admin-password-1' } as const;

/** A console over real stores and a real in-process coordinator, listening on a free port. */
export class Harness {
  readonly url: string;
  readonly stores: Stores;
  readonly coordinator: InProcessCoordinator;
  readonly clock: ManualClock;
  readonly app: ConsoleApp;
  readonly #db: DatabaseFixture;

  private constructor(parts: {
    url: string;
    stores: Stores;
    coordinator: InProcessCoordinator;
    clock: ManualClock;
    app: ConsoleApp;
    db: DatabaseFixture;
  }) {
    this.url = parts.url;
    this.stores = parts.stores;
    this.coordinator = parts.coordinator;
    this.clock = parts.clock;
    this.app = parts.app;
    this.#db = parts.db;
  }

  /** Opens the stores on `db`, starts a coordinator, bootstraps the admin, starts the console. */
  static async start(
    db: DatabaseFixture,
    serverGroups: readonly number[] = [1, 2],
  ): Promise<Harness> {
    const stores = await openStores({ url: db.url });
    const coordinator = new InProcessCoordinator();
    await coordinator.start();
    const clock = new ManualClock(START_MS);
    await ensureAdmin(stores, ADMIN.username, ADMIN.password, { clock });
    const app = await createConsole({ stores, coordinator, clock, cluster: 101, serverGroups });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    return new Harness({ url, stores, coordinator, clock, app, db });
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.coordinator.stop();
    await this.stores.close();
    await this.#db.drop();
  }

  /** One HTTP request to the console. */
  async call<T = Body>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    else if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
      headers['content-type'] = options.contentType ?? 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('application/json') && text !== '') {
      parsed = JSON.parse(text);
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** Signs in and returns the token. */
  async login(username: string, password: string): Promise<string> {
    const answer = await this.call<{ token: string }>('POST', '/api/v1/auth/login', {
      body: { username, password },
    });
    if (answer.status !== 200) {
      throw new Error(`login ${username}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body.token;
  }

  /** Creates a user as the admin and signs it in. */
  async user(
    adminToken: string,
    username: string,
    isAdmin = false,
  ): Promise<{ id: number; token: string }> {
    const password = `${username}-password-1`;
    const answer = await this.call<{ id: number }>('POST', '/api/v1/users', {
      token: adminToken,
      body: { username, password, isAdmin },
    });
    if (answer.status !== 201)
      throw new Error(`create ${username}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return { id: answer.body.id, token: await this.login(username, password) };
  }

  /** Row counts of every table a request could change, to prove that a refused one changed nothing. */
  async snapshot(groupIds: readonly string[] = []): Promise<Record<string, number>> {
    const groups = await this.stores.groups.list();
    const jobs = await Promise.all(groups.map((g) => this.stores.jobs.listByGroup(g.id)));
    const executions = await this.stores.executions.page({ limit: 500 });
    const audit = await this.stores.audit.list(500);
    const users = await this.stores.users.list();
    const versions = jobs
      .flat()
      .map((j) => j.version)
      .reduce((a, b) => a + b, 0);
    const members = await Promise.all(
      groupIds.map(async (id) => {
        const all = await Promise.all(users.map((u) => this.stores.groups.roleOf(id, u.id)));
        return all.filter((r) => r !== undefined).length;
      }),
    );
    return {
      groups: groups.length,
      jobs: jobs.flat().length,
      jobVersions: versions,
      executions: executions.items.length,
      audit: audit.length,
      users: users.length,
      members: members.reduce((a, b) => a + b, 0),
    };
  }
}
