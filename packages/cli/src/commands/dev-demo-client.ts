import { Client } from '@carillon/client';
import { InProcessCoordinator } from '@carillon/coordination';
import type { ClientMember, Logger } from '@carillon/core';
import { API_JOB, SIMPLE_JOB } from './dev-seed.js';

/** The demo client's id; any other client of the demo group is the user's. */
export const DEMO_CLIENT_ID = 'dev-demo-client';

/**
 * The demo client of `carillon dev`: runs the two demo jobs until another client of the demo
 * group registers one of their handlers, then stops for good (until the next start), so the
 * newcomer's own client gets every fire. It says so in the log.
 */
export class DevDemoClient {
  readonly #client: Client;
  readonly #groupId: string;
  readonly #logger: Logger;
  #steppedAside = false;

  constructor(options: {
    consoleUrl: string;
    groupId: string;
    token: string;
    coordinator: DevCoordinator;
    logger: Logger;
  }) {
    this.#groupId = options.groupId;
    this.#logger = options.logger;
    this.#client = new Client({
      console: options.consoleUrl,
      group: options.groupId,
      token: options.token,
      clientId: DEMO_CLIENT_ID,
    });
    this.#client.register(SIMPLE_JOB.handler, {
      concurrency: 4,
      execute(ctx) {
        ctx.log(
          `job ${ctx.jobId} (${ctx.jobName}) with parameter ${ctx.param ?? '(none)'} ran at ${new Date().toISOString()}`,
        );
        return Promise.resolve('success');
      },
    });
    this.#client.register(API_JOB.handler, {
      concurrency: 4,
      execute(ctx) {
        ctx.log(`API-triggered job ${ctx.jobId} ran with parameter ${ctx.param ?? '(none)'}`);
        return Promise.resolve(`triggered with ${ctx.param ?? 'no parameter'}`);
      },
    });
    options.coordinator.onClientRegistered = (member) => this.#clientRegistered(member);
  }

  /** Connects the demo client (it learns the servers from the console). */
  start(): Promise<void> {
    return this.#client.start();
  }

  /** Stops the demo client, letting running demo work finish for up to 5 s. Idempotent. */
  stop(): Promise<void> {
    return this.#client.stop({ graceMs: 5_000 });
  }

  #clientRegistered(member: ClientMember): void {
    const demoHandlers: readonly string[] = [SIMPLE_JOB.handler, API_JOB.handler];
    if (
      this.#steppedAside ||
      member.clientId === DEMO_CLIENT_ID ||
      member.groupId !== this.#groupId ||
      !member.handlers.some((h) => demoHandlers.includes(h))
    )
      return;
    this.#steppedAside = true;
    this.#logger.info(
      { clientId: member.clientId, handlers: member.handlers },
      `client ${member.clientId} registered a demo handler: the demo client steps aside until the next start`,
    );
    this.stop().catch((error: unknown) =>
      this.#logger.warn({ err: error }, 'stopping the demo client failed'),
    );
  }
}

/**
 * The in-process coordinator of `carillon dev`, telling the demo client of each client that
 * registers (after registration, so the client's handlers are known).
 */
export class DevCoordinator extends InProcessCoordinator {
  /** Told of every client registration, once it is registered. */
  onClientRegistered: ((member: ClientMember) => void) | undefined;

  /** Registers the client, then tells {@link onClientRegistered}. */
  override async registerClient(member: ClientMember): Promise<void> {
    await super.registerClient(member);
    this.onClientRegistered?.(member);
  }
}
