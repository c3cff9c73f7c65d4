import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@carillon/client';
import { InProcessCoordinator } from '@carillon/coordination';
import { createConsole, ensureAdmin } from '@carillon/console';
import { SystemClock } from '@carillon/core';
import { CarillonServer } from '@carillon/server';
import { openStores } from '@carillon/storage';
import type { CommandIo } from '../io.js';
import { ExitCode } from '../io.js';
import { createLogger } from '../logger.js';
import { waitForShutdown } from '../shutdown.js';
import { Teardown } from '../teardown.js';
import { API_JOB, SIMPLE_JOB, seedDev } from './dev-seed.js';

const USAGE = `usage: carillon dev [--data-dir DIR] [--port PORT] [--rpc-port PORT] [--log-level LEVEL]

Runs a server, the console and a demo client in one process on a SQLite file.
  --data-dir   where the database and demo secrets live (default ./.carillon)
  --port       console HTTP port (default 7700)
  --rpc-port   server gRPC port (default 7701; 0 picks a free one)
  CARILLON_ADMIN_PASSWORD sets the admin password (else one is generated once and kept).
`;

/** `carillon dev`: everything on one machine, no services needed. */
export async function runDevCommand(args: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string', default: './.carillon' },
        port: { type: 'string', default: io.env.CARILLON_HTTP_PORT ?? '7700' },
        'rpc-port': { type: 'string', default: io.env.CARILLON_RPC_PORT ?? '7701' },
        'log-level': { type: 'string', default: io.env.CARILLON_LOG_LEVEL ?? 'info' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return ExitCode.Usage;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return ExitCode.Ok;
  }
  const port = Number(values.port);
  const rpcPort = Number(values['rpc-port']);
  if (
    !Number.isInteger(port) ||
    port < 0 ||
    port > 65535 ||
    !Number.isInteger(rpcPort) ||
    rpcPort < 0 ||
    rpcPort > 65535
  ) {
    io.stderr.write(`--port and --rpc-port must be integers from 0 to 65535\n${USAGE}`);
    return ExitCode.Usage;
  }
  const dataDir = resolve(values['data-dir']);
  await mkdir(dataDir, { recursive: true });
  const logger = createLogger(values['log-level'], io.stdout);
  const clock = new SystemClock();
  const cluster = 101;
  const serverGroup = 1;
  const serverId = 'dev-server-1';

  const teardown = new Teardown((error) => logger.error({ err: error }, 'stopping failed'));
  try {
    const stores = await openStores({ url: `sqlite://${join(dataDir, 'carillon.db')}` });
    teardown.add(() => stores.close());
    const coordinator = new InProcessCoordinator();
    await coordinator.start();
    teardown.add(() => coordinator.stop());
    const password = io.env.CARILLON_ADMIN_PASSWORD ?? (await devAdminPassword(dataDir));
    const { user: admin } = await ensureAdmin(stores, 'admin', password, {
      clock,
      resetPassword: true,
    });
    const seed = await seedDev(stores, {
      dataDir,
      adminId: admin.id,
      serverId,
      cluster,
      serverGroup,
      clock,
    });

    const server = await CarillonServer.create({
      serverId,
      cluster,
      serverGroup,
      room: 'dev',
      stores,
      coordinator,
      clock,
      logger: logger.child({ unit: 'server' }),
      rpcPort,
    });
    // In dev, show each fire as it ends: the newcomer wants to see jobs run.
    server.events.on('execution:finished', ({ execution }) =>
      logger.info(
        {
          jobId: execution.jobId,
          executionId: execution.id,
          state: execution.state,
          result: execution.result,
          reason: execution.reason,
        },
        `job ${execution.jobId} ${execution.state}`,
      ),
    );
    teardown.add(() => server.stop());
    await server.start();
    const console_ = await createConsole({
      stores,
      coordinator,
      clock,
      logger: logger.child({ unit: 'console' }),
      cluster,
      serverGroups: [serverGroup],
    });
    teardown.add(() => console_.close());
    const url = await console_.listen({ host: '127.0.0.1', port });

    const client = new Client({
      console: url,
      group: seed.group.id,
      token: seed.clientToken,
      clientId: 'dev-demo-client',
    });
    client.register(SIMPLE_JOB.handler, {
      concurrency: 4,
      execute(ctx) {
        ctx.log(
          `job ${ctx.jobId} (${ctx.jobName}) with parameter ${ctx.param ?? '(none)'} ran at ${new Date().toISOString()}`,
        );
        return Promise.resolve('success');
      },
    });
    client.register(API_JOB.handler, {
      concurrency: 4,
      execute(ctx) {
        ctx.log(`API-triggered job ${ctx.jobId} ran with parameter ${ctx.param ?? '(none)'}`);
        return Promise.resolve(`triggered with ${ctx.param ?? 'no parameter'}`);
      },
    });
    teardown.add(() => client.stop({ graceMs: 5_000 }));
    await client.start();

    io.stdout.write(
      [
        '',
        `Carillon dev is running.`,
        `  console:      ${url}   (API under ${url}/api/v1, docs at ${url}/api/docs)`,
        `  admin:        admin / ${password}${io.env.CARILLON_ADMIN_PASSWORD === undefined ? `   (kept in ${join(dataDir, 'admin-password')})` : ''}`,
        `  task group:   ${seed.group.id}   (client token in ${join(dataDir, 'demo-client-token')})`,
        `  jobs:         #${seed.simpleJobId} "${SIMPLE_JOB.name}" cron ${SIMPLE_JOB.cron}; #${seed.apiJobId} "${API_JOB.name}" fires on POST ${url}/api/v1/jobs/${seed.apiJobId}/trigger`,
        `  gRPC:         ${server.rpcAddress}`,
        `  data:         ${dataDir}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );

    await waitForShutdown();
  } finally {
    await teardown.run();
  }
  return ExitCode.Ok;
}

/** A generated admin password, made on first start and kept in the data directory. */
async function devAdminPassword(dataDir: string): Promise<string> {
  const file = join(dataDir, 'admin-password');
  const kept = await readFile(file, 'utf8')
    .then((s) => s.trim())
    .catch(() => '');
  if (kept !== '') return kept;
  const password = randomBytes(12).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}
