import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { dieWithThisProcess } from './reaper.js';

/** One ZooKeeper server process of a throwaway standalone server or ensemble. */
export interface ZooKeeperNode {
  /** Its `myid` (1 for a standalone server). */
  readonly id: number;
  readonly clientPort: number;
  /** `127.0.0.1:<clientPort>`. */
  readonly address: string;
  /** True while its process runs (paused counts as running). */
  readonly running: boolean;
  /** What `srvr` says of it (`standalone`, `leader`, `follower`), or undefined when it does not answer. */
  mode(): Promise<string | undefined>;
  /** Sends a four-letter word (`srvr`, `cons`, `dump`...) and resolves with the reply. */
  command(word: string): Promise<string>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
  /**
   * SIGSTOP: the process stays, its sockets stay open, nothing answers (a frozen server).
   * Resolves once the kernel shows it stopped.
   */
  pause(): Promise<void>;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  /** Starts it again on the same ports and data (after {@link kill}); resolves once it serves. */
  restart(): Promise<void>;
}

/** A throwaway ZooKeeper: standalone or a three-node ensemble on free loopback ports. */
export interface ZooKeeperCluster {
  /** `host:port,...` of every node, without a chroot. */
  readonly connectionString: string;
  readonly nodes: readonly ZooKeeperNode[];
  /** The node that `srvr` reports as `leader` (or `standalone`); waits for one. */
  leader(timeoutMs?: number): Promise<ZooKeeperNode>;
  /** Kills every node and removes the data. */
  stop(): Promise<void>;
}

/** Options of {@link startZooKeeper}. */
export interface ZooKeeperOptions {
  /** 1 (standalone, the default) or 3 (an ensemble). */
  readonly nodes?: 1 | 3;
  /** ZooKeeper's tick; sessions are negotiated within [2, 20] ticks. Default 500 ms. */
  readonly tickTimeMs?: number;
}

const JAR = process.env['CARILLON_ZOOKEEPER_CLASSPATH'] ?? '/usr/share/java/zookeeper.jar';
const READY_TIMEOUT_MS = 30_000;

/**
 * Starts a throwaway ZooKeeper (Debian's `zookeeper` package and a JRE) with its data in a
 * temporary directory, the admin server off, `forceSync=no` and a small `preAllocSize`;
 * resolves once every node answers `srvr` with a mode. Call `stop()` when done.
 *
 * @example
 * const zk = await startZooKeeper({ nodes: 3 });
 * try { ... zk.connectionString ... } finally { await zk.stop(); }
 */
export async function startZooKeeper(options: ZooKeeperOptions = {}): Promise<ZooKeeperCluster> {
  const count = options.nodes ?? 1;
  const tickTimeMs = options.tickTimeMs ?? 500;
  const dir = await mkdtemp(join(tmpdir(), 'carillon-zk-'));
  const ports = [];
  for (let i = 0; i < count; i++) {
    ports.push({ client: await freePort(), quorum: await freePort(), election: await freePort() });
  }
  const serverLines =
    count === 1 ? [] : ports.map((p, i) => `server.${i + 1}=127.0.0.1:${p.quorum}:${p.election}`);
  const nodes: ManagedNode[] = [];
  for (const [i, p] of ports.entries()) {
    const id = i + 1;
    const nodeDir = join(dir, `node-${id}`);
    await mkdir(join(nodeDir, 'data'), { recursive: true });
    if (count > 1) await writeFile(join(nodeDir, 'data', 'myid'), `${id}\n`);
    const config = [
      `tickTime=${tickTimeMs}`,
      `initLimit=20`,
      `syncLimit=10`,
      `dataDir=${join(nodeDir, 'data')}`,
      `clientPort=${p.client}`,
      `clientPortAddress=127.0.0.1`,
      `admin.enableServer=false`,
      `4lw.commands.whitelist=*`,
      `forceSync=no`,
      `preAllocSize=1024`,
      `snapCount=10000`,
      `maxClientCnxns=0`,
      ...serverLines,
    ];
    const configPath = join(nodeDir, 'zoo.cfg');
    await writeFile(configPath, `${config.join('\n')}\n`);
    nodes.push(new ManagedNode(id, p.client, configPath));
  }
  try {
    for (const node of nodes) node.spawn();
    await Promise.all(nodes.map((n) => n.waitServing()));
  } catch (error) {
    await Promise.all(nodes.map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    connectionString: nodes.map((n) => n.address).join(','),
    nodes,
    async leader(timeoutMs = READY_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const node of nodes) {
          if (!node.running) continue;
          const mode = await node.mode();
          if (mode === 'leader' || mode === 'standalone') return node;
        }
        if (Date.now() > deadline) throw new Error(`no ZooKeeper leader within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

class ManagedNode implements ZooKeeperNode {
  readonly id: number;
  readonly clientPort: number;
  readonly address: string;
  readonly #configPath: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #output = '';

  constructor(id: number, clientPort: number, configPath: string) {
    this.id = id;
    this.clientPort = clientPort;
    this.address = `127.0.0.1:${clientPort}`;
    this.#configPath = configPath;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  spawn(): void {
    const child = dieWithThisProcess(
      spawn(
        'java',
        [
          '-Xms32m',
          '-Xmx256m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-Dzookeeper.admin.enableServer=false',
          '-cp',
          JAR,
          'org.apache.zookeeper.server.quorum.QuorumPeerMain',
          this.#configPath,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    this.#output = '';
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.#child === child) this.#child = undefined;
        resolve();
      }),
    );
  }

  async waitServing(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while ((await this.mode()) === undefined) {
      if (this.#child === undefined) {
        throw new Error(`ZooKeeper node ${this.id} exited while starting: ${this.#output}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `ZooKeeper node ${this.id} not serving after ${READY_TIMEOUT_MS} ms: ${this.#output}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  command(word: string): Promise<string> {
    return fourLetterWord(this.clientPort, word);
  }

  mode(): Promise<string | undefined> {
    return fourLetterWord(this.clientPort, 'srvr').then(
      (reply) => /^Mode: (\w+)/m.exec(reply)?.[1],
      () => undefined,
    );
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  async pause(): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined) return;
    child.kill('SIGSTOP');
    // The signal is queued, not yet acted on: a JVM thread on the other core may still answer a
    // request sent right after. The stop is done when /proc says so (state T).
    const deadline = Date.now() + 5_000;
    while (!(await isStopped(child.pid))) {
      if (Date.now() > deadline) throw new Error(`ZooKeeper node ${this.id} did not stop`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.kill();
    this.spawn();
    await this.waitServing();
  }
}

async function isStopped(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The state follows the command name in parentheses, which may itself hold spaces.
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
}

// A paused server accepts the TCP connection (the kernel does) but never answers: time out.
function fourLetterWord(port: number, word: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${word} on ${port}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(word));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(reply);
    });
  });
}
