// ZooKeeper coordinator benchmark: how fast the coordinator notices trouble, and what it writes
// at rest. Prints one JSON line per round:
// {"bench":"zookeeper-session","round":1,"sessionTimeoutMs":..,
//  "frozenServer":{"disconnectedMs":..,"suspendedMs":..,"backAfterResumeMs":..},
//  "killedMember":{"goneMs":..},"leaderKilled":{"writeMs":..,"lost":false},
//  "idleWritesPerSecond":..}
// frozenServer: a standalone ZooKeeper paused with SIGSTOP, from the pause; killedMember: a
// member process killed with SIGKILL, until a peer's watch sees its node go; leaderKilled: a
// write issued as the ensemble's leader dies, until it completes; idleWritesPerSecond: zxid
// growth over 10 s with three coordinators registered, watching and one leading.
// Usage: node --conditions=source --import tsx bench/zookeeper-session.ts [--rounds 2]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { SessionEvent } from '@carillon/core';
import { ZooKeeperCoordinator } from '@carillon/coordination';
import type { ZooKeeperNode } from '@carillon/testkit';
import { startZooKeeper } from '@carillon/testkit';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const ROUNDS = Number(values.rounds);
const SESSION_MS = 6_000;
const MEMBER = join(import.meta.dirname, '../packages/coordination/test/member-process.ts');

const progress = (what: string): void => {
  if (process.env['CARILLON_BENCH_VERBOSE'] !== undefined) process.stderr.write(`${what}\n`);
};

const member = (serverId: string) => ({
  serverId,
  cluster: 101,
  serverGroup: 1,
  room: 'r1',
  rpcAddress: '127.0.0.1:1',
});

function when(c: ZooKeeperCoordinator, event: SessionEvent): Promise<number> {
  return new Promise((resolve) => {
    const off = c.onSessionEvent((e) => {
      if (e !== event) return;
      off();
      resolve(Date.now());
    });
  });
}

function serversBecome(c: ZooKeeperCoordinator, ids: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const off = c.watchServers(101, 1, (servers) => {
      if (servers.map((s) => s.serverId).join() !== ids.join()) return;
      off();
      resolve(Date.now());
    });
  });
}

async function zxid(node: ZooKeeperNode): Promise<number> {
  const match = /Zxid: 0x([0-9a-f]+)/.exec(await node.command('srvr'));
  // The low 32 bits count transactions within an epoch.
  return Number(BigInt(`0x${match?.[1] ?? '0'}`) & 0xffffffffn);
}

async function standalone() {
  const zk = await startZooKeeper();
  const node = zk.nodes[0];
  if (node === undefined) throw new Error('no node');
  const connection = `${zk.connectionString}/bench`;
  const a = new ZooKeeperCoordinator({ connection, cluster: 101, sessionTimeoutMs: SESSION_MS });
  try {
    await a.start();
    await a.registerServer(member('s-a'));
    progress('standalone: pausing');
    const disconnected = when(a, 'disconnected');
    const suspended = when(a, 'suspended');
    const pausedAt = Date.now();
    await node.pause();
    const disconnectedMs = (await disconnected) - pausedAt;
    const suspendedMs = (await suspended) - pausedAt;
    progress('standalone: resuming');
    const back = when(a, 'reconnected');
    const resumedAt = Date.now();
    node.resume();
    const backAfterResumeMs = (await back) - resumedAt;

    progress('standalone: member process');
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MEMBER], {
      env: {
        ...process.env,
        CARILLON_TEST_MEMBER: JSON.stringify({ connection, serverId: 's-k' }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const joined = serversBecome(a, ['s-a', 's-k']);
    await once(createInterface({ input: child.stdout }), 'line');
    await joined;
    const gone = serversBecome(a, ['s-a']);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const goneMs = (await gone) - killedAt;
    return {
      sessionTimeoutMs: a.negotiatedSessionTimeoutMs,
      frozenServer: { disconnectedMs, suspendedMs, backAfterResumeMs },
      killedMember: { goneMs, memberSessionTimeoutMs: 4_000 },
    };
  } finally {
    await a.stop();
    await zk.stop();
  }
}

async function ensemble() {
  const zk = await startZooKeeper({ nodes: 3 });
  const connection = `${zk.connectionString}/bench`;
  const all = [0, 1, 2].map(
    () => new ZooKeeperCoordinator({ connection, cluster: 101, sessionTimeoutMs: SESSION_MS }),
  );
  try {
    for (const [i, c] of all.entries()) {
      await c.start();
      await c.registerServer(member(`s-${i}`));
      c.watchGroupChanges(() => undefined);
      c.watchServers(101, 1, () => undefined);
    }
    const [a] = all;
    if (a === undefined) throw new Error('no coordinator');
    progress('ensemble: idle writes');
    const leadership = await a.campaign('holders');
    const leader = await zk.leader();
    const before = await zxid(leader);
    await new Promise((r) => setTimeout(r, 10_000));
    const idleWritesPerSecond = ((await zxid(leader)) - before) / 10;
    progress('ensemble: killing the leader');
    let lost = false;
    a.onSessionEvent((e) => (lost ||= e === 'lost'));
    const killedAt = Date.now();
    const killing = leader.kill();
    await a.notifyGroupChanged('101-1-1-7');
    const writeMs = Date.now() - killedAt;
    await killing;
    await leadership.release();
    return { leaderKilled: { writeMs, lost }, idleWritesPerSecond };
  } finally {
    await Promise.all(all.map((c) => c.stop()));
    await zk.stop();
  }
}

for (let round = 1; round <= ROUNDS; round++) {
  const one = await standalone();
  const three = await ensemble();
  console.log(JSON.stringify({ bench: 'zookeeper-session', round, ...one, ...three }));
}
