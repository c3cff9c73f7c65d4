// `carillon server` in a cluster: ZooKeeper and room settings are validated with the rest, and
// without a shared coordinator a second server of a ServerGroup, or a second process with a live
// server's id, is refused (separate processes, one MariaDB database).
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startCarillonProcess, testDatabases, waitFor } from '@carillon/testkit';
import type { CarillonProcess } from '@carillon/testkit';
import { main } from '../src/main.js';

async function carillon(args: string[], env: Record<string, string>) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr, env });
  return { code, stdout: out, stderr: err };
}

describe('cluster settings', () => {
  it('lists a bad ZooKeeper string, bad room rules and a bad server id together, exit 2', async () => {
    const run = await carillon(['server'], {
      CARILLON_DB_URL: 'mysql://root@127.0.0.1:3306/nothing_made',
      CARILLON_ZK: '127.0.0.1/x',
      CARILLON_ROOM_RULES: '10.1.0.0/16=a,nonsense',
      CARILLON_SERVER_ID: 'has space',
      CARILLON_ZK_SESSION_TIMEOUT_MS: '5',
    });
    expect(run.code).toBe(2);
    for (const named of [
      'CARILLON_ZK:',
      'CARILLON_ZK_SESSION_TIMEOUT_MS',
      '"nonsense"',
      'CARILLON_SERVER_ID',
    ])
      expect(run.stderr).toContain(named);
  });

  it('refuses a peer-liveness limit out of range, and says which', async () => {
    for (const bad of ['5', '60001', 'soon']) {
      const run = await carillon(['server'], {
        CARILLON_DB_URL: 'mysql://root@127.0.0.1:3306/nothing_made',
        CARILLON_GONE_AFTER_MS: bad,
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('CARILLON_GONE_AFTER_MS');
    }
  });

  it('refuses ZooKeeper credentials that are not user:password, or without CARILLON_ZK, without echoing them', async () => {
    for (const [auth, zk, said] of [
      ['no-colon-secret', '127.0.0.1:2181', 'must be user:password'],
      [':only-a-password', '127.0.0.1:2181', 'must be user:password'],
      ['carillon:hidden-secret', undefined, 'without CARILLON_ZK'],
    ] as const) {
      const run = await carillon(['server'], {
        CARILLON_DB_URL: 'mysql://root@127.0.0.1:3306/nothing_made',
        CARILLON_ZK_AUTH: auth,
        ...(zk === undefined ? {} : { CARILLON_ZK: zk }),
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(said);
      expect(run.stderr).not.toContain('secret');
    }
  });

  it('refuses room rules that hold no address of the server', async () => {
    const run = await carillon(['server'], {
      CARILLON_DB_URL: 'mysql://root@127.0.0.1:3306/nothing_made',
      CARILLON_ROOM_RULES: '10.1.0.0/16=a',
      CARILLON_RPC_HOST: '127.0.0.1',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no rule holds');
  });
});

describe('a second standalone server of a ServerGroup', () => {
  const [mariadb] = testDatabases();
  const started: CarillonProcess[] = [];
  afterAll(async () => {
    for (const p of started) await p.stop('SIGKILL');
    await mariadb?.drop();
  });

  it('refuses a second server of the group and a second process of a live id; lets a restart through', async () => {
    if (mariadb === undefined) throw new Error('no MariaDB');
    const url = await mariadb.create();
    const migrate = startCarillonProcess(['migrate'], { CARILLON_DB_URL: url });
    expect(await migrate.exited).toBe(0);
    const env = (id: string, group: number, port: number) => ({
      CARILLON_DB_URL: url,
      CARILLON_SERVER_ID: id,
      CARILLON_SERVER_GROUP: String(group),
      CARILLON_RPC_PORT: String(port),
    });
    const first = startCarillonProcess(['server'], env('s1', 1, await freePort()));
    started.push(first);
    await waitFor('the first server', () => first.output().includes('server started'));
    const second = startCarillonProcess(['server'], env('s2', 1, await freePort()));
    started.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('CARILLON_SERVER_GROUP_TAKEN');
    expect(second.output()).toContain('s1');
    const other = startCarillonProcess(['server'], env('s3', 2, await freePort()));
    started.push(other);
    await waitFor('a server of group 2', () => other.output().includes('server started'));
    // The same id again while s3 lives: refused. Fences go by server id.
    const twin = startCarillonProcess(['server'], env('s3', 2, await freePort()));
    started.push(twin);
    expect(await twin.exited).toBe(1);
    expect(twin.output()).toContain('CARILLON_SERVER_ID_TAKEN');
    expect(twin.output()).toContain('server id "s3" is taken');
    // s3 killed and started again at once: its row is fresh but still, so it starts.
    await other.stop('SIGKILL');
    const again = startCarillonProcess(['server'], env('s3', 2, await freePort()));
    started.push(again);
    await waitFor('s3 started again', () => again.output().includes('server started'));
  }, 90_000);
});
