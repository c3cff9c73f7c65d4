import { SystemClock } from '@carillon/core';
import type { ServerTls } from '@carillon/protocol';
import { CarillonServer, observeServer } from '@carillon/server';
import { readServerConfig } from '../config/config.js';
import type { ServerTlsConfig } from '../config/config.js';
import { wantsHelp } from '../config/flags.js';
import type { CommandIo } from '../io.js';
import { ExitCode } from '../io.js';
import { createLogger } from '../logger.js';
import { waitForShutdown } from '../shutdown.js';
import { Teardown } from '../teardown.js';
import { prepareSqliteFile } from '../private-files.js';
import { SERVER_USAGE } from './usage.js';
import { makeCoordinator, refuseSecondStandalone } from './coordination.js';
import { openStoresWhenReachable, startCoordinatorWhenReachable } from '../start-wait.js';

/**
 * `carillon server`: one scheduling server, configured by environment variables
 * (docs/configuration.md). With `CARILLON_ZK` it joins its ServerGroup through ZooKeeper; without,
 * it uses an in-process coordinator, sees no peers, learns of job changes by polling the
 * database, and refuses to start beside a live server of its ServerGroup.
 */
export async function runServerCommand(args: string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(SERVER_USAGE);
    return ExitCode.Ok;
  }
  const config = readServerConfig(io.env, args);
  const logger = createLogger(config.logLevel, io.stdout);
  const teardown = new Teardown((error) => logger.error({ err: error }, 'stopping failed'));
  try {
    prepareSqliteFile(config.dbUrl);
    const wait = { waitMs: config.startWaitMs, logger };
    const stores = await openStoresWhenReachable(config.dbUrl, wait);
    teardown.add(() => stores.close());
    const clock = new SystemClock();
    if (config.zk === undefined)
      await refuseSecondStandalone(
        stores,
        { id: config.serverId, cluster: config.cluster, serverGroup: config.serverGroup },
        clock.now(),
      );
    const coordinator = makeCoordinator(config.zk, config.cluster, logger);
    await startCoordinatorWhenReachable(coordinator, wait);
    teardown.add(() => coordinator.stop());
    const server = await CarillonServer.create({
      serverId: config.serverId,
      cluster: config.cluster,
      serverGroup: config.serverGroup,
      room: config.room,
      stores,
      coordinator,
      clock,
      logger,
      rpcHost: config.rpcHost,
      rpcPort: config.rpcPort,
      leadMs: config.leadMs,
      claimAheadMs: config.claimAheadMs,
      holderGraceMs: config.holderGraceMs,
      fenceMs: config.fenceMs,
      goneAfterMs: config.goneAfterMs,
      ...(config.tls === undefined ? {} : { rpcTls: serverTls(config.tls) }),
      ...(config.rpcAdvertisedAddress === undefined
        ? {}
        : { rpcAdvertisedAddress: config.rpcAdvertisedAddress }),
    });
    teardown.add(() => server.stop());
    // Subscribed before the start, so that the first fires are counted.
    const observe = await observeServer({
      server,
      stores,
      coordinator,
      ...(config.observe === undefined ? {} : config.observe),
      logger: logger.child({ unit: 'alerts' }),
      alerts: config.smtp === undefined ? {} : { smtp: config.smtp },
    });
    teardown.add(() => observe.close());
    if (observe.listener !== undefined)
      logger.info({ url: observe.listener.url }, 'metrics and health listening');
    await server.start();
    observe.serveOnGrpcPort(config.rpcPort === 0 ? boundPort(server.rpcAddress) : config.rpcPort);
    const signal = await waitForShutdown();
    logger.info({ signal }, 'stopping');
  } finally {
    await teardown.run();
  }
  return ExitCode.Ok;
}

/** The port of a `host:port` address. */
function boundPort(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

/** The protocol's TLS options from the configured files: mutual TLS when a client CA is set. */
function serverTls(tls: ServerTlsConfig): ServerTls {
  return {
    keyCertPairs: [{ privateKey: tls.privateKey, certChain: tls.certChain }],
    ...(tls.clientCa === undefined
      ? {}
      : { rootCerts: tls.clientCa, checkClientCertificate: true }),
  };
}
