// `carillon server` over TLS and over mutual TLS from certificate files, with a throwaway CA made
// here by openssl; the real SDK connects in this process. Plaintext and certificate-less clients
// are refused.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ClientErrorCode } from '@carillon/client';
import type { ClientTls } from '@carillon/client';
import { CarillonError, SystemClock, hashTokenSecret } from '@carillon/core';
import { migrateDatabase, openStores } from '@carillon/storage';
import type { CarillonProcess } from '@carillon/testkit';
import { freePort, startCarillonProcess } from '@carillon/testkit';

const SERVER_ID = 'tls-server-1';
let dir: string;
let server: CarillonProcess | undefined;
let address: string;
let groupId: string;
let token: string;
const pem: Record<string, Buffer> = {};

function pemOf(file: string): Buffer {
  const content = pem[file];
  if (content === undefined) throw new Error(`${file} was not made`);
  return content;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
async function makeCertificates(): Promise<void> {
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...key,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=carillon test CA',
  ]);
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    openssl([
      'req',
      ...key,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      ...(name === 'server' ? ['-extfile', 'server.ext'] : []),
    ]);
  }
  for (const file of ['ca.pem', 'client.key', 'client.pem'])
    pem[file] = await readFile(join(dir, file));
}

/** A task group, its client token and a job firing every second, held by the server to start. */
async function seed(dbUrl: string): Promise<void> {
  await migrateDatabase({ url: dbUrl });
  const stores = await openStores({ url: dbUrl });
  try {
    const now = new SystemClock().now();
    const group = await stores.groups.create(
      { cluster: 101, serverGroup: 1, backups: 1, name: 'tls' },
      now,
    );
    groupId = group.id;
    token = 'tls-test-token-'.padEnd(43, 'x');
    await stores.users.createToken(
      { kind: 'client', userId: null, groupId, name: 'tls', secretHash: hashTokenSecret(token) },
      now,
    );
    await stores.jobs.create(
      {
        groupId,
        name: 'every second',
        description: '',
        trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
        handler: 'tick',
        kind: 'simple',
        param: null,
        routing: 'least_loaded',
        overlap: 'allow',
        misfire: 'fire_once',
        timeoutMs: 0,
        maxRetries: 0,
      },
      [SERVER_ID],
      now,
    );
  } finally {
    await stores.close();
  }
}

function client(tls: ClientTls | undefined, startTimeoutMs = 30_000): Client {
  return new Client({
    servers: [address],
    group: groupId,
    token,
    startTimeoutMs,
    ...(tls === undefined ? {} : { tls }),
  });
}

async function refused(tls: ClientTls | undefined): Promise<unknown> {
  const c = client(tls, 3_000);
  c.register('tick', { execute: () => Promise.resolve('no') });
  try {
    await c.start();
    await c.stop();
    return undefined;
  } catch (error) {
    return error;
  }
}

let dbUrl: string;

/** Starts `carillon server` with the CA-signed certificate; mutual: clients must show theirs. */
function startServer(mutual: boolean): void {
  server = startCarillonProcess(['server'], {
    CARILLON_DB_URL: dbUrl,
    CARILLON_SERVER_ID: SERVER_ID,
    CARILLON_RPC_PORT: address.split(':')[1] ?? '',
    CARILLON_LOG_LEVEL: 'warn',
    CARILLON_TLS_CERT_FILE: join(dir, 'server.pem'),
    CARILLON_TLS_KEY_FILE: join(dir, 'server.key'),
    ...(mutual ? { CARILLON_TLS_CLIENT_CA_FILE: join(dir, 'ca.pem') } : {}),
  });
}

/** A client with these TLS settings starts and runs a fire of the every-second job. */
async function runsFire(tls: ClientTls): Promise<void> {
  const c = client(tls);
  let ran!: (jobId: number) => void;
  const fired = new Promise<number>((resolve) => (ran = resolve));
  c.register('tick', {
    execute(ctx) {
      ran(ctx.jobId);
      return Promise.resolve('tls');
    },
  });
  try {
    await c.start();
    expect(await fired).toBeGreaterThan(0);
  } finally {
    await c.stop({ graceMs: 2_000 });
  }
  expect(server?.output()).not.toContain('"level":50');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carillon-tls-'));
  await makeCertificates();
  dbUrl = `sqlite://${join(dir, 'carillon.db')}`;
  await seed(dbUrl);
  address = `127.0.0.1:${await freePort()}`;
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('carillon server with TLS', () => {
  beforeAll(() => startServer(false));
  afterAll(async () => {
    await server?.stop();
  });

  it('runs fires for a client that trusts the CA', async () => {
    await runsFire({ rootCerts: pemOf('ca.pem') });
  }, 60_000);

  it('refuses a plaintext client', async () => {
    const error = await refused(undefined);
    expect(error).toBeInstanceOf(CarillonError);
    expect((error as CarillonError).code).toBe(ClientErrorCode.StartTimeout);
  }, 30_000);
});

describe('carillon server with mutual TLS', () => {
  beforeAll(() => startServer(true));
  afterAll(async () => {
    await server?.stop();
  });

  it('runs fires for a client that trusts the CA and shows its certificate', async () => {
    await runsFire({
      rootCerts: pemOf('ca.pem'),
      privateKey: pemOf('client.key'),
      certChain: pemOf('client.pem'),
    });
  }, 60_000);

  it('refuses a client without a certificate, and a plaintext one', async () => {
    for (const error of [await refused({ rootCerts: pemOf('ca.pem') }), await refused(undefined)]) {
      expect(error).toBeInstanceOf(CarillonError);
      expect((error as CarillonError).code).toBe(ClientErrorCode.StartTimeout);
    }
  }, 30_000);
});
