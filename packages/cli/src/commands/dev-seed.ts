import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, Stores, TaskGroup } from '@carillon/core';
import { hashTokenSecret } from '@carillon/core';

/** What `carillon dev` sets up on first start and finds again on later ones. */
export interface DevSeed {
  readonly group: TaskGroup;
  readonly clientToken: string;
  readonly simpleJobId: number;
  readonly apiJobId: number;
}

/** The seed system's test job, kept exactly as users of the seed know it. */
export const SIMPLE_JOB = {
  name: 'simple task test',
  description: 'simple task test',
  cron: '0 0/1 * * * ?',
  param: 'TestParam',
  handler: 'simple-test',
} as const;

export const API_JOB = {
  name: 'api task test',
  description: 'fires only when triggered: POST /api/v1/jobs/{id}/trigger',
  handler: 'api-test',
} as const;

/**
 * Creates the demo task group, its client token and the two demo jobs on a fresh database, and
 * finds them on a used one. The client token's secret is kept in the data directory, since the
 * database holds only its hash.
 */
export async function seedDev(
  stores: Stores,
  options: {
    dataDir: string;
    adminId: number;
    serverId: string;
    cluster: number;
    serverGroup: number;
    clock: Clock;
  },
): Promise<DevSeed> {
  const now = options.clock.now();
  const existing = (await stores.groups.list()).find((g) => g.name === 'demo');
  const group =
    existing ??
    (await stores.groups.create(
      { cluster: options.cluster, serverGroup: options.serverGroup, backups: 1, name: 'demo' },
      now,
    ));
  if (existing === undefined) {
    await stores.groups.grant(group.id, options.adminId, 'owner');
    await stores.audit.append({
      at: now,
      actor: 'system',
      action: 'group:create',
      target: group.id,
      detail: '{"by":"carillon dev"}',
    });
  }
  const tokenFile = join(options.dataDir, 'demo-client-token');
  let clientToken = await readFile(tokenFile, 'utf8')
    .then((t) => t.trim())
    .catch(() => '');
  if (
    clientToken === '' ||
    (await stores.users.findToken(hashTokenSecret(clientToken))) === undefined
  ) {
    clientToken = randomBytes(32).toString('base64url');
    await stores.users.createToken(
      {
        kind: 'client',
        userId: null,
        groupId: group.id,
        name: 'demo client',
        secretHash: hashTokenSecret(clientToken),
      },
      now,
    );
    await writeFile(tokenFile, `${clientToken}\n`, { mode: 0o600 });
  }
  const jobs = await stores.jobs.listByGroup(group.id);
  const base = {
    groupId: group.id,
    kind: 'simple',
    routing: 'least_loaded',
    overlap: 'allow',
    misfire: 'fire_once',
    timeoutMs: 0,
    maxRetries: 0,
  } as const;
  const simple =
    jobs.find((j) => j.name === SIMPLE_JOB.name) ??
    (await stores.jobs.create(
      {
        ...base,
        name: SIMPLE_JOB.name,
        description: SIMPLE_JOB.description,
        trigger: { type: 'cron', cron: SIMPLE_JOB.cron, timeZone: 'UTC' },
        handler: SIMPLE_JOB.handler,
        param: SIMPLE_JOB.param,
      },
      [options.serverId],
      now,
    ));
  const api =
    jobs.find((j) => j.name === API_JOB.name) ??
    (await stores.jobs.create(
      {
        ...base,
        name: API_JOB.name,
        description: API_JOB.description,
        trigger: { type: 'api' },
        handler: API_JOB.handler,
        param: null,
      },
      [options.serverId],
      now,
    ));
  return { group, clientToken, simpleJobId: simple.id, apiJobId: api.id };
}
