import { randomBytes } from 'node:crypto';
import type { ServerMember } from '@carillon/core';
import { hasErrorCode } from '@carillon/core';
import { startZooKeeper } from '@carillon/testkit';
import type { ZooKeeperCluster } from '@carillon/testkit';
import type { Client } from 'node-zookeeper-client';
import zookeeper from 'node-zookeeper-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoordinationErrorCode, ZooKeeperCoordinator } from '../src/index.js';
import { testLogging } from './test-logging.js';

// CARILLON_ZK_AUTH: with digest credentials, the cluster's nodes are the credentials' alone, on
// a real ZooKeeper, against a raw client of another user of the ensemble.

const member = (serverId: string): ServerMember => ({
  serverId,
  cluster: 101,
  serverGroup: 1,
  room: 'r1',
  rpcAddress: '127.0.0.1:1',
});

let zk: ZooKeeperCluster;
const started: ZooKeeperCoordinator[] = [];
const raws: Client[] = [];

function coordinator(root: string, auth?: string): ZooKeeperCoordinator {
  const c = new ZooKeeperCoordinator({
    connection: `${zk.connectionString}${root}`,
    cluster: 101,
    sessionTimeoutMs: 4_000,
    connectTimeoutMs: 5_000,
    ...(auth === undefined ? {} : { auth }),
    ...testLogging(started.length),
  });
  started.push(c);
  return c;
}

/** A client of another user of the ensemble, with no credentials. */
async function stranger(): Promise<Client> {
  const client = zookeeper.createClient(zk.connectionString, { retries: 0 });
  raws.push(client);
  await new Promise<void>((resolve) => {
    client.once('connected', () => resolve());
    client.connect();
  });
  return client;
}

/** The ZooKeeper error code of what `call` answered; 0 when it succeeded. */
function codeOf(call: (done: (error: unknown) => void) => void): Promise<number> {
  return new Promise((resolve) =>
    call((error) =>
      resolve(error instanceof zookeeper.Exception ? error.getCode() : error ? -1 : 0),
    ),
  );
}

async function startFails(c: ZooKeeperCoordinator): Promise<unknown> {
  try {
    await c.start();
  } catch (error) {
    return error;
  }
  throw new Error('started without access');
}

beforeAll(async () => {
  zk = await startZooKeeper();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
  for (const client of raws.splice(0)) client.close();
});
afterAll(async () => {
  await zk?.stop();
});

describe('ZooKeeperCoordinator with credentials', () => {
  it("leaves the cluster's nodes to the same credentials only", async () => {
    const root = `/t${randomBytes(4).toString('hex')}/carillon`;
    const a = coordinator(root, 'carillon:s3cret');
    await a.start();
    await a.registerServer(member('s1'));
    const b = coordinator(root, 'carillon:s3cret');
    await b.start();
    expect((await b.listServers(101, 1)).map((m) => m.serverId)).toEqual(['s1']);

    const other = await stranger();
    const servers = `${root}/101/servers`;
    const NO_AUTH = zookeeper.Exception.NO_AUTH;
    expect(await codeOf((done) => other.getData(`${servers}/s1`, done))).toBe(NO_AUTH);
    expect(await codeOf((done) => other.getChildren(servers, done))).toBe(NO_AUTH);
    expect(
      await codeOf((done) =>
        other.create(`${servers}/fake`, Buffer.from('{}'), zookeeper.CreateMode.EPHEMERAL, done),
      ),
    ).toBe(NO_AUTH);
    expect(await codeOf((done) => other.remove(`${servers}/s1`, -1, done))).toBe(NO_AUTH);
    expect((await b.listServers(101, 1)).map((m) => m.serverId)).toEqual(['s1']);

    // A process with other credentials, or none, is told at its start.
    const wrong = await startFails(coordinator(root, 'carillon:guess'));
    expect(hasErrorCode(wrong, CoordinationErrorCode.AccessDenied)).toBe(true);
    expect((wrong as Error).message).toMatch(/other credentials/);
    const none = await startFails(coordinator(root));
    expect(hasErrorCode(none, CoordinationErrorCode.AccessDenied)).toBe(true);
    expect((none as Error).message).toMatch(/set CARILLON_ZK_AUTH/);
  });

  it('closes a layout made without credentials once they are set', async () => {
    const root = `/t${randomBytes(4).toString('hex')}/carillon`;
    const open = coordinator(root);
    await open.start();
    await open.registerClient({
      clientId: 'c1',
      groupId: '101-1-2-1',
      serverId: 's1',
      handlers: ['echo'],
      room: 'r1',
    });
    await open.stop();
    const other = await stranger();
    const servers = `${root}/101/servers`;
    expect(
      await codeOf((done) =>
        other.create(`${servers}/before`, Buffer.from('{}'), zookeeper.CreateMode.EPHEMERAL, done),
      ),
    ).toBe(0);

    const closed = coordinator(root, 'carillon:s3cret');
    await closed.start();
    expect(
      await codeOf((done) =>
        other.create(`${servers}/after`, Buffer.from('{}'), zookeeper.CreateMode.EPHEMERAL, done),
      ),
    ).toBe(zookeeper.Exception.NO_AUTH);
    expect(await codeOf((done) => other.getChildren(servers, done))).toBe(
      zookeeper.Exception.NO_AUTH,
    );
    // A group's clients node, made before, is closed too.
    expect(
      await codeOf((done) =>
        other.create(
          `${root}/101/clients/101-1-2-1/fake@s9`,
          Buffer.from('{}'),
          zookeeper.CreateMode.EPHEMERAL,
          done,
        ),
      ),
    ).toBe(zookeeper.Exception.NO_AUTH);
  });
});
