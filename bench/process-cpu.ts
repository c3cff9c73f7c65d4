// CPU time of the processes a bench started, read from /proc (Linux), so that a bench can say
// where a fire's CPU goes: each server, the console, the clients, ZooKeeper, MariaDB and the
// bench itself. A sample is user + system time in ms; the difference of two samples over a
// window, divided by the fires of that window, is the CPU per fire of each process.
import { readFile, readdir } from 'node:fs/promises';
import { createConnection } from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2/promise';

const TICK_MS = 10; // USER_HZ is 100 on Linux (`getconf CLK_TCK`).

/** CPU ms (user + system) of a process so far, or undefined once it is gone. */
export function processCpuMs(pid: number): Promise<number | undefined> {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU ms of the process or thread whose `stat` file is `path`, or undefined once it is gone. */
async function statCpuMs(path: string): Promise<number | undefined> {
  try {
    const stat = await readFile(path, 'utf8');
    // Fields after the command name (which may hold spaces) start at the state, field 3;
    // utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** The pids of this process's direct children whose command name is `comm` (e.g. `java`). */
export async function childrenNamed(comm: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (name === comm && ppid === process.pid) found.push(Number(entry));
    } catch {
      continue;
    }
  }
  return found;
}

/**
 * The pid of the MySQL-family server at `url` when it runs on this machine (its pid file, which
 * the server names), else undefined. Not by process name: other work may run its own mariadbd.
 */
async function mysqlServerPid(url: string): Promise<number | undefined> {
  const connection = await createConnection({ uri: url });
  try {
    const [rows] = await connection.query<RowDataPacket[]>('select @@pid_file as f');
    const file: unknown = rows[0]?.['f'];
    if (typeof file !== 'string') return undefined;
    return Number((await readFile(file, 'utf8')).trim());
  } catch {
    return undefined;
  } finally {
    await connection.end();
  }
}

/** CPU ms (user + system) of each thread of process `pid` so far, by thread id. */
async function threadsCpuMs(pid: number): Promise<Map<number, number>> {
  const threads = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const ms = await statCpuMs(`/proc/${pid}/task/${tid}/stat`);
    if (ms !== undefined) threads.set(Number(tid), ms);
  }
  return threads;
}

/**
 * The OS thread ids of the connections to `url`'s database (MariaDB's processlist `TID`; [] on
 * a server without it): the CPU the server spent on this database's statements, apart from
 * other users of a shared service and from the background threads (purge, page flushing).
 */
async function mysqlConnectionThreads(url: string): Promise<number[]> {
  const connection = await createConnection({ uri: url });
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      'select tid from information_schema.processlist where db = database() and id <> connection_id()',
    );
    return rows.map((row) => Number(row['tid']));
  } catch {
    return [];
  } finally {
    await connection.end();
  }
}

/** A {@link MysqlCpuMeter} sample. */
export interface MysqlCpuSample {
  readonly processMs: number;
  readonly threads: ReadonlyMap<number, number>;
}

/**
 * The CPU of a MySQL-family server on this machine: the whole process (an upper bound where
 * the service is shared), and its connections to one database (a lower bound: the background
 * threads work for every database).
 */
export class MysqlCpuMeter {
  readonly #url: string;
  readonly #pid: number;

  private constructor(url: string, pid: number) {
    this.#url = url;
    this.#pid = pid;
  }

  /** The meter of the server at `url`, or undefined when it does not run here. */
  static async create(url: string): Promise<MysqlCpuMeter | undefined> {
    const pid = await mysqlServerPid(url);
    return pid === undefined || Number.isNaN(pid) ? undefined : new MysqlCpuMeter(url, pid);
  }

  async sample(): Promise<MysqlCpuSample> {
    return {
      processMs: (await processCpuMs(this.#pid)) ?? 0,
      threads: await threadsCpuMs(this.#pid),
    };
  }

  /** CPU ms since `before`: the process's, and its connections' to the database (open now). */
  async spent(before: MysqlCpuSample): Promise<{ all: number; connections: number }> {
    const after = await this.sample();
    let connections = 0;
    // A thread absent from `before` started meanwhile.
    for (const tid of await mysqlConnectionThreads(this.#url))
      connections += (after.threads.get(tid) ?? 0) - (before.threads.get(tid) ?? 0);
    return { all: after.processMs - before.processMs, connections };
  }
}

/** Named processes whose CPU is sampled together; `self` is the bench's own process. */
export class CpuMeter {
  readonly #pids = new Map<string, number>();

  add(name: string, pid: number | undefined): void {
    if (pid !== undefined) this.#pids.set(name, pid);
  }

  /** CPU ms of every process so far, by name. */
  async sample(): Promise<Map<string, number>> {
    const sample = new Map<string, number>();
    for (const [name, pid] of this.#pids) {
      const ms = await processCpuMs(pid);
      if (ms !== undefined) sample.set(name, ms);
    }
    const self = process.cpuUsage();
    sample.set('bench', (self.user + self.system) / 1000);
    return sample;
  }
}

/** CPU ms spent between two samples, by name, rounded to the ms. */
export function cpuSpent(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): Record<string, number> {
  const spent: Record<string, number> = {};
  for (const [name, ms] of after) {
    const from = before.get(name);
    if (from !== undefined) spent[name] = Math.round(ms - from);
  }
  return spent;
}
