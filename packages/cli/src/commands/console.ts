import { createConsole, ensureAdmin } from '@carillon/console';
import { SystemClock } from '@carillon/core';
import { AlertDeliverer, EmailSender, WebhookSender } from '@carillon/server';
import { readConsoleConfig } from '../config/config.js';
import { wantsHelp } from '../config/flags.js';
import type { CommandIo } from '../io.js';
import { ExitCode } from '../io.js';
import { createLogger } from '../logger.js';
import { waitForShutdown } from '../shutdown.js';
import { Teardown } from '../teardown.js';
import { prepareSqliteFile } from '../private-files.js';
import { CONSOLE_USAGE } from './usage.js';
import { makeCoordinator } from './coordination.js';
import { openStoresWhenReachable, startCoordinatorWhenReachable } from '../start-wait.js';

/**
 * `carillon console`: the REST API and web console, configured by environment variables
 * (docs/configuration.md). CARILLON_ADMIN_PASSWORD creates the first admin if none exists.
 */
export async function runConsoleCommand(args: string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(CONSOLE_USAGE);
    return ExitCode.Ok;
  }
  const config = readConsoleConfig(io.env, args);
  const logger = createLogger(config.logLevel, io.stdout);
  const clock = new SystemClock();
  const teardown = new Teardown((error) => logger.error({ err: error }, 'stopping failed'));
  try {
    prepareSqliteFile(config.dbUrl);
    const wait = { waitMs: config.startWaitMs, logger };
    const stores = await openStoresWhenReachable(config.dbUrl, wait);
    teardown.add(() => stores.close());
    if (config.admin !== undefined) {
      await ensureAdmin(stores, config.admin.username, config.admin.password, { clock });
    }
    const coordinator = makeCoordinator(config.zk, config.cluster, logger);
    await startCoordinatorWhenReachable(coordinator, wait);
    teardown.add(() => coordinator.stop());
    // Only for "send a test": the servers deliver the alerts they raise.
    const email = config.smtp === undefined ? undefined : new EmailSender(config.smtp);
    if (email !== undefined) teardown.add(() => Promise.resolve(email.close()));
    const alerts = new AlertDeliverer({
      stores,
      senders: { webhook: new WebhookSender(), ...(email === undefined ? {} : { email }) },
      logger: logger.child({ unit: 'alerts' }),
    });
    teardown.add(() => alerts.close());
    const app = await createConsole({
      stores,
      coordinator,
      clock,
      logger,
      cluster: config.cluster,
      serverGroups: config.serverGroups,
      alertTester: (rule, message) => alerts.deliver(rule, message),
    });
    teardown.add(() => app.close());
    const url = await app.listen({ host: config.httpHost, port: config.httpPort });
    logger.info({ url }, 'console listening');
    const signal = await waitForShutdown();
    logger.info({ signal }, 'stopping');
  } finally {
    await teardown.run();
  }
  return ExitCode.Ok;
}
