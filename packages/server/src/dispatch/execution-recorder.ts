import type {
  Execution,
  ExecutionPatch,
  ExecutionState,
  ExecutionStore,
  LogLine,
  Logger,
} from '@carillon/core';
import type { ResultReport } from '@carillon/protocol';
import { ExecutionWriter } from './execution-writer.js';
import { LogBuffer } from './log-buffer.js';

/** The states in which a client holds an execution. */
export const IN_FLIGHT: readonly ExecutionState[] = ['dispatched', 'running'];

/**
 * Records what becomes of this server's executions: every change a compare-and-set fenced by
 * this server as owner and the execution's attempt (written in batches), and log lines.
 */
export class ExecutionRecorder {
  readonly #serverId: string;
  readonly #store: ExecutionStore;
  readonly #logger: Logger;
  readonly #writer: ExecutionWriter;
  readonly #logs: LogBuffer;

  constructor(serverId: string, store: ExecutionStore, logger: Logger) {
    this.#serverId = serverId;
    this.#store = store;
    this.#logger = logger;
    this.#logs = new LogBuffer(store, logger);
    // An execution's lines land before its final state: the writer flushes them first.
    this.#writer = new ExecutionWriter(store, logger, () => this.#logs.flush());
  }

  /**
   * Moves an execution from one of `from` to `to` if this server still owns it at its attempt.
   * False means it changed elsewhere: a newer owner or attempt has it, and the caller drops it.
   */
  async change(
    execution: Execution,
    from: readonly ExecutionState[],
    to: ExecutionState,
    patch: ExecutionPatch,
  ): Promise<boolean> {
    const fence = {
      id: execution.id,
      from,
      ownerServerId: this.#serverId,
      attempt: execution.attempt,
    };
    const applied = await this.#writer.write({ fence, state: to, patch });
    if (!applied) {
      this.#logger.warn(
        { executionId: execution.id, to, attempt: execution.attempt },
        'execution changed elsewhere; dropped',
      );
    }
    return applied;
  }

  /**
   * Applies a result for an execution not in memory (this server restarted, or the client came
   * back after its stream was lost) if the fence holds: this server owns it, at the report's
   * attempt, and it was dispatched to this client of this group. False when it was refused: the
   * execution is another group's, or this attempt was dispatched to another client. A result for
   * an older attempt or an execution already finished changes nothing and is not a refusal.
   */
  async lateResult(
    client: { readonly clientId: string; readonly groupId: string },
    report: ResultReport,
  ): Promise<boolean> {
    const stored = await this.#store.get(report.executionId);
    if (stored === undefined || stored.groupId !== client.groupId) return false;
    if (stored.attempt !== report.attempt) return true;
    if (stored.clientId !== client.clientId) return false;
    if (stored.ownerServerId !== this.#serverId) return true;
    await this.change(stored, IN_FLIGHT, report.outcome, {
      result: report.result,
      reason: describeError(report),
      finishedAt: report.at,
    });
    return true;
  }

  log(line: LogLine): void {
    this.#logs.add(line);
  }

  async flush(): Promise<void> {
    await this.#writer.flush();
    await this.#logs.flush();
  }
}

/** A handler failure in words, as recorded in the execution's reason. */
export function describeError(report: ResultReport): string | null {
  return report.error === null ? null : `${report.error.type}: ${report.error.message}`;
}
