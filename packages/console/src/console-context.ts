import type { Clock, Coordinator, Logger, Stores } from '@carillon/core';
import type { Authenticator } from './auth/authenticator.js';
import type { GroupAccess } from './auth/group-access.js';
import type { SessionLifetimes } from './auth/authenticator.js';
import type { PasswordGate } from './auth/password-gate.js';
import type { SignInThrottle } from './auth/sign-in-throttle.js';

/** The stores of one transaction. */
export type TxStores = Omit<Stores, 'transaction' | 'close' | 'isTransient'>;

/** Appends an audit row in the transaction of the change it describes. */
export type RecordAudit = (action: string, target: string, detail?: object) => Promise<void>;

/** The settings the routes need, validated by `createConsole`. */
export interface ConsoleSettings {
  readonly cluster: number;
  readonly serverGroups: readonly number[];
  readonly defaultBackups: number;
  readonly maxBackups: number;
  readonly maxParamBytes: number;
}

/** What every route module receives: the injected ports and the console's helpers. */
export class ConsoleContext {
  readonly stores: Stores;
  readonly coordinator: Coordinator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: ConsoleSettings;
  readonly auth: Authenticator;
  readonly access: GroupAccess;
  readonly signIn: {
    readonly throttle: SignInThrottle;
    readonly gate: PasswordGate;
    readonly lifetimes: SessionLifetimes;
  };

  constructor(parts: {
    stores: Stores;
    coordinator: Coordinator;
    clock: Clock;
    logger: Logger;
    settings: ConsoleSettings;
    auth: Authenticator;
    access: GroupAccess;
    signIn: { throttle: SignInThrottle; gate: PasswordGate; lifetimes: SessionLifetimes };
  }) {
    this.stores = parts.stores;
    this.coordinator = parts.coordinator;
    this.clock = parts.clock;
    this.logger = parts.logger;
    this.settings = parts.settings;
    this.auth = parts.auth;
    this.access = parts.access;
    this.signIn = parts.signIn;
  }

  /**
   * Runs `work` in one transaction with an audit recorder bound to `actor`: the change and its
   * audit rows commit together or not at all.
   */
  commitChange<T>(
    actor: string,
    work: (tx: TxStores, audit: RecordAudit) => Promise<T>,
  ): Promise<T> {
    return this.stores.transaction(async (tx) => {
      const audit: RecordAudit = (action, target, detail) =>
        tx.audit.append({
          at: this.clock.now(),
          actor,
          action,
          target,
          detail: detail === undefined ? null : JSON.stringify(detail),
        });
      return work(tx, audit);
    });
  }

  /**
   * Tells the servers that a group's jobs changed. The change is committed by then, so a
   * coordinator failure is logged, not returned: the caller must not retry a change that
   * happened.
   */
  async notifyGroupChanged(groupId: string): Promise<void> {
    try {
      await this.coordinator.notifyGroupChanged(groupId);
    } catch (error) {
      this.logger.error({ err: error, groupId }, 'could not notify servers of a group change');
    }
  }
}
