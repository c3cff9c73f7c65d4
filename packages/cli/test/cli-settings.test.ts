// The command explains itself without configuration, lists every bad setting at once (exit 2, no
// stack trace) and creates a missing MariaDB database on migrate. Runs `main` in this process.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MYSQL_SERVER_URL,
  freePort,
  mariadbDatabase,
  startTcpProxy,
  testDatabases,
} from '@carillon/testkit';
import type { TcpProxy } from '@carillon/testkit';
import { main } from '../src/main.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function carillon(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr, env });
  return { code, stdout: out, stderr: err };
}

const STACK_LINE = /^\s+at /m;

describe('carillon --help and --version', () => {
  it.each(['dev', 'server', 'console', 'migrate', 'cron'])(
    '%s --help answers with no variable set',
    async (command) => {
      const run = await carillon([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^usage:[\\s\\S]*carillon ${command}`));
      expect(run.stderr).toBe('');
    },
  );

  it('prints the version', async () => {
    const run = await carillon(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^carillon \d+\.\d+\.\d+/);
  });
});

describe('bad settings', () => {
  it('dev lists every bad flag and variable at once, exit 2, no stack trace', async () => {
    const run = await carillon(['dev', '--log-level', 'loud', '--port', 'abc', '--bogus'], {
      CARILLON_ADMIN_PASSWORD: 'short',
    });
    expect(run.code).toBe(2);
    for (const named of ['--log-level', '--port', '--bogus', 'CARILLON_ADMIN_PASSWORD'])
      expect(run.stderr).toContain(named);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('console lists a relative sqlite path, a short password and a bad log level together', async () => {
    const run = await carillon(['console', '--log-level', 'loud'], {
      CARILLON_DB_URL: 'sqlite://carillon.db',
      CARILLON_ADMIN_PASSWORD: 'short',
    });
    expect(run.code).toBe(2);
    for (const named of ['--log-level', 'CARILLON_DB_URL', 'CARILLON_ADMIN_PASSWORD'])
      expect(run.stderr).toContain(named);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('server names TLS files it cannot read and half a TLS setting', async () => {
    const missing = await carillon(['server'], {
      CARILLON_DB_URL: 'sqlite:///tmp/never-opened.db',
      CARILLON_TLS_CERT_FILE: '/nonexistent/cert.pem',
      CARILLON_TLS_KEY_FILE: '/nonexistent/key.pem',
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('CARILLON_TLS_CERT_FILE');
    expect(missing.stderr).toContain('CARILLON_TLS_KEY_FILE');
    const half = await carillon(['server'], {
      CARILLON_DB_URL: 'sqlite:///tmp/never-opened.db',
      CARILLON_TLS_CLIENT_CA_FILE: '/nonexistent/ca.pem',
    });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('CARILLON_TLS_CLIENT_CA_FILE');
    expect(missing.stderr + half.stderr).not.toMatch(STACK_LINE);
  });

  it('migrate without CARILLON_DB_URL says so, exit 2', async () => {
    const run = await carillon(['migrate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('CARILLON_DB_URL is required');
  });
});

describe('carillon migrate', () => {
  const [mariadb] = testDatabases();
  const dirs: string[] = [];
  afterAll(async () => {
    await mariadb?.drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('creates a MariaDB database that does not exist, then migrates it', async () => {
    if (mariadb === undefined) throw new Error('testkit lists no MariaDB');
    // create() names a fresh database and makes it; dropping it leaves a name that does not exist.
    const url = await mariadb.create();
    await mariadb.drop();
    const run = await carillon(['migrate'], { CARILLON_DB_URL: url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/created database carillon_t_\w+\napplied migrations: 0001/);
    const again = await carillon(['migrate'], { CARILLON_DB_URL: url });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('database schema is up to date\n');
  });

  it('waits for a database that answers later (one line a try), then migrates it', async () => {
    const database = mariadbDatabase();
    const url = new URL(await database.create());
    const target = `${url.hostname}:${url.port || '3306'}`;
    // Nothing listens there yet: the database comes up a second after the command.
    url.hostname = '127.0.0.1';
    url.port = String(await freePort());
    let proxy: TcpProxy | undefined;
    const later = setTimeout(() => {
      void startTcpProxy(target, Number(url.port)).then((p) => (proxy = p));
    }, 1_000);
    try {
      const run = await carillon(['migrate'], {
        CARILLON_DB_URL: url.toString(),
        CARILLON_START_WAIT_MS: '30000',
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/the database does not answer yet; trying again/);
      expect(run.stdout).toMatch(/ECONNREFUSED/);
      expect(run.stdout).toMatch(/applied migrations: 0001/);
    } finally {
      clearTimeout(later);
      await proxy?.close();
      await database.drop();
    }
  });

  it('with CARILLON_START_WAIT_MS=0 exits 1 at once when the database does not answer', async () => {
    const url = new URL(`carillon_t_nowhere`, `mysql://root@127.0.0.1:${await freePort()}/`);
    const run = await carillon(['migrate'], {
      CARILLON_DB_URL: url.toString(),
      CARILLON_START_WAIT_MS: '0',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ECONNREFUSED/);
    expect(run.stdout).not.toMatch(/trying again/);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('server on a database that does not exist says to run migrate, in one line', async () => {
    // A name nothing creates: the server must not create it either.
    const url = new URL(`carillon_t_missing_${randomBytes(6).toString('hex')}`, MYSQL_SERVER_URL);
    const run = await carillon(['server'], {
      CARILLON_DB_URL: url.toString(),
      CARILLON_RPC_PORT: '0',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('carillon migrate');
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('creates a SQLite file 0600 in a new directory 0700', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carillon-migrate-'));
    dirs.push(dir);
    const file = join(dir, 'state', 'carillon.db');
    const run = await carillon(['migrate'], { CARILLON_DB_URL: `sqlite://${file}` });
    expect(run.code, run.stderr).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
  });
});
