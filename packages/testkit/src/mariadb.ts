// A throwaway MariaDB server of its own, for tests that stop, restart or kill the database: the
// machine's shared MariaDB (127.0.0.1:3306) serves every other test and must never go down.
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort } from './free-port.js';
import { dieWithThisProcess } from './reaper.js';

/** A MariaDB server process on a free loopback port with its own data directory. */
export interface MariaDbServer {
  readonly port: number;
  /** `mysql://root@127.0.0.1:<port>/`, without a database name. */
  readonly serverUrl: string;
  /** True while its process runs. */
  readonly running: boolean;
  /** What the server printed (its error log), across restarts. */
  output(): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** SIGTERM (a clean shutdown) and waits for the exit; the data stays. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and waits for the exit; InnoDB recovers on the next start. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it answers queries. */
  start(): Promise<void>;
  /** {@link stop}, `downMs` of nothing listening, then {@link start}. */
  restart(downMs?: number): Promise<void>;
  /** Kills it and removes its data directory. */
  remove(): Promise<void>;
}

/** Options of {@link startMariaDb}. */
export interface MariaDbOptions {
  /** The server binary; default `CARILLON_MARIADBD` or `/usr/sbin/mariadbd`. */
  readonly binary?: string;
}

const READY_TIMEOUT_MS = 60_000;
const execFileAsync = promisify(execFile);

/**
 * Initialises a data directory with `mariadb-install-db` (root without a password, no test
 * database) and starts `mariadbd` on it with `--no-defaults`, so nothing of the machine's
 * MariaDB configuration applies. Running as root needs `--user=root`; as another user the option
 * is left out. Call `remove()` when done.
 *
 * @example
 * const db = await startMariaDb();
 * try { const url = await db.createDatabase(); ... await db.restart(5_000); } finally { await db.remove(); }
 */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDbServer> {
  const binary = options.binary ?? process.env['CARILLON_MARIADBD'] ?? '/usr/sbin/mariadbd';
  const dir = await mkdtemp(join(tmpdir(), 'carillon-mariadb-'));
  const dataDir = join(dir, 'data');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  try {
    await execFileAsync(
      'mariadb-install-db',
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...asRoot,
      ],
      { timeout: READY_TIMEOUT_MS },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${String(error)}`);
  }
  const port = await freePort();
  const serverUrl = `mysql://root@127.0.0.1:${port}/`;
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`,
    '--skip-name-resolve',
    '--skip-log-bin',
    // Small, so that a test's server starts fast and does not crowd the machine.
    '--innodb-buffer-pool-size=64M',
    '--innodb-log-file-size=32M',
    '--max-connections=500',
    ...asRoot,
  ];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const spawnServer = async (): Promise<void> => {
    const started = dieWithThisProcess(spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    child = started;
    started.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null)
        throw new Error(`mariadbd exited while starting: ${output.slice(-2000)}`);
      try {
        const connection = await createConnection({ uri: serverUrl, connectTimeout: 1_000 });
        await connection.query('select 1');
        await connection.end();
        return;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`mariadbd did not answer within ${READY_TIMEOUT_MS} ms: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };
  const isRunning = (): boolean =>
    child !== undefined && child.exitCode === null && child.signalCode === null;
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (isRunning()) child?.kill(name);
    await exited;
  };

  try {
    await spawnServer();
  } catch (error) {
    await signal('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const server: MariaDbServer = {
    port,
    serverUrl,
    get running() {
      return isRunning();
    },
    output: () => output,
    async createDatabase(name = `carillon_t_${Date.now().toString(36)}`) {
      const connection = await createConnection({ uri: serverUrl });
      try {
        await connection.query(`create database ${name}`);
      } finally {
        await connection.end();
      }
      return new URL(name, serverUrl).toString();
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    async start() {
      if (isRunning()) throw new Error('mariadbd is already running');
      await spawnServer();
    },
    async restart(downMs = 0) {
      await server.stop();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await server.start();
    },
    async remove() {
      await signal('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}
