import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createConsole, ensureAdmin } from '@carillon/console';
import { SystemClock } from '@carillon/core';
import { CarillonServer, observeServer } from '@carillon/server';
import { openStores } from '@carillon/storage';
import { readDevConfig } from '../config/config.js';
import { wantsHelp } from '../config/flags.js';
import type { CommandIo } from '../io.js';
import { ExitCode } from '../io.js';
import { createLogger } from '../logger.js';
import { waitForShutdown } from '../shutdown.js';
import { ensurePrivateDir, prepareSqliteFile } from '../private-files.js';
import { Teardown } from '../teardown.js';
import { refuseSecondStandalone } from './coordination.js';
import { DevCoordinator, DevDemoClient } from './dev-demo-client.js';
import { API_JOB, SIMPLE_JOB, seedDev } from './dev-seed.js';

const USAGE = `usage: carillon dev [--data-dir DIR] [--port PORT] [--rpc-port PORT] [--log-level LEVEL]

Runs a server, the console and a demo client in one process on a SQLite file.
  --data-dir   where the database and demo secrets live (default ./.carillon)
  --port       console HTTP port (default 7700)
  --rpc-port   server gRPC port (default 7701; 0 picks a free one)
  --log-level  trace, debug, info, warn, error, fatal, silent (default info)
  CARILLON_ADMIN_PASSWORD sets the admin password, 8 to 1024 characters (else one is generated
  once and kept). The demo client runs the demo jobs until another client of the demo group
  registers one of their handlers (simple-test, api-test); then it steps aside until the next
  start. A new data directory is created 0700, the files it makes 0600.
`;

/** `carillon dev`: everything on one machine, no services needed. */
export async function runDevCommand(args: string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(USAGE);
    return ExitCode.Ok;
  }
  const config = readDevConfig(io.env, args);
  const port = config.httpPort;
  const rpcPort = config.rpcPort;
  const dataDir = resolve(config.dataDir);
  await ensurePrivateDir(dataDir);
  const logger = createLogger(config.logLevel, io.stdout);
  const clock = new SystemClock();
  const cluster = 101;
  const serverGroup = 1;
  const serverId = 'dev-server-1';

  const teardown = new Teardown((error) => logger.error({ err: error }, 'stopping failed'));
  try {
    const dbUrl = `sqlite://${join(dataDir, 'carillon.db')}`;
    prepareSqliteFile(dbUrl);
    const stores = await openStores({ url: dbUrl });
    teardown.add(() => stores.close());
    // Before the admin's password is reset and the seed written: they are the other's.
    await refuseSecondStandalone(
      stores,
      { id: serverId, cluster, serverGroup },
      clock.now(),
      `another carillon dev runs on ${dataDir}: stop it, or give this one another --data-dir`,
    );
    const coordinator = new DevCoordinator();
    await coordinator.start();
    teardown.add(() => coordinator.stop());
    const password = config.adminPassword ?? (await devAdminPassword(dataDir));
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
    // Metrics and alerts (webhooks only: dev has no SMTP settings); no HTTP listener.
    const observe = await observeServer({
      server,
      stores,
      coordinator,
      logger: logger.child({ unit: 'alerts' }),
    });
    teardown.add(() => observe.close());
    await server.start();
    const console_ = await createConsole({
      stores,
      coordinator,
      clock,
      logger: logger.child({ unit: 'console' }),
      cluster,
      serverGroups: [serverGroup],
      alertTester: (rule, message) => observe.alerts.deliver(rule, message),
    });
    teardown.add(() => console_.close());
    const url = await console_.listen({ host: '127.0.0.1', port });

    const client = new DevDemoClient({
      consoleUrl: url,
      groupId: seed.group.id,
      token: seed.clientToken,
      coordinator,
      logger: logger.child({ unit: 'demo-client' }),
    });
    teardown.add(() => client.stop());
    await client.start();

    io.stdout.write(
      [
        '',
        `Carillon dev is running.`,
        `  console:      ${url}   (API under ${url}/api/v1, docs at ${url}/api/docs)`,
        `  admin:        admin / ${password}${config.adminPassword === undefined ? `   (kept in ${join(dataDir, 'admin-password')})` : ''}`,
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
