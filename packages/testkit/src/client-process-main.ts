// A client process for tests: the real SDK in its own process, over real gRPC. Reads its
// settings from CARILLON_TEST_CLIENT (JSON) and prints one JSON line per event on stdout.
import { Client, NonRetryableError } from '@carillon/client';
import type { ExecutionContext, ParallelJobHandler, SubtaskResult } from '@carillon/client';
import { appendLedger } from './ledger.js';

interface Settings {
  /** The console to learn the servers from, or `servers`: a static list. */
  readonly console?: string;
  readonly servers?: readonly string[];
  readonly group: string;
  readonly token: string;
  readonly clientId: string;
  readonly concurrency?: number;
  readonly fenceMs?: number;
  readonly startTimeoutMs?: number;
  /** A ledger file to append one line to per handler start and end. */
  readonly ledger?: string;
  readonly labels?: readonly string[];
  readonly room?: string;
}

const settings = JSON.parse(process.env['CARILLON_TEST_CLIENT'] ?? '{}') as Settings;
const emit = (event: object): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });

const handlers: Record<string, (ctx: ExecutionContext) => Promise<string>> = {
  async echo(ctx) {
    ctx.log(`echo ${ctx.param ?? ''}`);
    if (ctx.shard !== undefined)
      return Promise.resolve(
        `shard ${ctx.shard.index}/${ctx.shard.count}:${ctx.shard.param ?? ''}`,
      );
    return Promise.resolve(`echo:${ctx.param ?? ''}`);
  },
  async sleep(ctx) {
    ctx.log(`sleeping ${ctx.param ?? '0'} ms`);
    await sleep(Number(ctx.param ?? '0'), ctx.signal);
    return 'slept';
  },
  fail(ctx) {
    return Promise.reject(
      ctx.param === 'fatal'
        ? new NonRetryableError('fatal failure')
        : new Error(`failure: ${ctx.param ?? ''}`),
    );
  },
};

const client = new Client({
  ...(settings.servers === undefined ? {} : { servers: settings.servers }),
  ...(settings.console === undefined ? {} : { console: settings.console }),
  group: settings.group,
  token: settings.token,
  clientId: settings.clientId,
  ...(settings.fenceMs === undefined ? {} : { fenceMs: settings.fenceMs }),
  ...(settings.startTimeoutMs === undefined ? {} : { startTimeoutMs: settings.startTimeoutMs }),
  ...(settings.labels === undefined ? {} : { labels: settings.labels }),
  ...(settings.room === undefined ? {} : { room: settings.room }),
});
for (const [name, run] of Object.entries(handlers)) {
  client.register(name, {
    concurrency: settings.concurrency ?? 8,
    async execute(ctx) {
      // A shard (or broadcast share) is named by its own id, under its execution's.
      const entry = {
        jobId: ctx.jobId,
        scheduledAt: ctx.scheduledAt,
        executionId: ctx.subtaskId ?? ctx.executionId,
        attempt: ctx.attempt,
        clientId: settings.clientId,
        ...(ctx.shard === undefined ? {} : { parentId: ctx.executionId, shard: ctx.shard }),
      };
      if (settings.ledger !== undefined) {
        appendLedger(settings.ledger, { event: 'start', ...entry, at: Date.now() });
      }
      const ended = (outcome: string): void => {
        if (settings.ledger === undefined) return;
        appendLedger(settings.ledger, { event: 'end', ...entry, at: Date.now(), outcome });
      };
      emit({
        event: 'started',
        executionId: ctx.executionId,
        attempt: ctx.attempt,
        jobId: ctx.jobId,
        handler: name,
        scheduledAt: ctx.scheduledAt,
        at: Date.now(),
      });
      try {
        const result = await run(ctx);
        ended('succeeded');
        emit({
          event: 'finished',
          executionId: ctx.executionId,
          attempt: ctx.attempt,
          outcome: 'succeeded',
          at: Date.now(),
        });
        return result;
      } catch (error) {
        ended('failed');
        emit({
          event: 'finished',
          executionId: ctx.executionId,
          attempt: ctx.attempt,
          outcome: 'failed',
          aborted: ctx.signal.aborted,
          error: String(error),
          at: Date.now(),
        });
        throw error;
      }
    },
  });
}

/**
 * The parallel test job: `dispatch` makes 100 strings (the seed's test), or what a JSON param
 * asks for: `{ "items": n, "fail": [i...], "fatal": [i...], "flaky": [i...], "sleepMs": ms,
 * "quiet": true }`, where `fail` items always throw, `fatal` ones throw NonRetryableError, and
 * `flaky` ones throw on their first attempt only. Each `process` appends to the ledger.
 */
interface ParallelParam {
  readonly items?: number;
  readonly fail?: readonly number[];
  readonly fatal?: readonly number[];
  readonly flaky?: readonly number[];
  readonly sleepMs?: number;
  /** No log line per item (a no-op `process`, for benchmarks). */
  readonly quiet?: boolean;
}
const parallelParam = (param: string | null): ParallelParam => {
  try {
    const value = JSON.parse(param ?? '') as unknown;
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
};
const parallelHandler = (reduce: boolean): ParallelJobHandler<string> => ({
  kind: 'parallel',
  concurrency: settings.concurrency ?? 8,
  dispatch(ctx) {
    const n = parallelParam(ctx.param).items ?? 100;
    ctx.log(`dispatching ${n} items (param ${ctx.param ?? ''})`);
    return Array.from({ length: n }, (_, i) => `item-${i}`);
  },
  async process(item, ctx) {
    const p = parallelParam(ctx.param);
    const index = Number(item.slice('item-'.length));
    const line = {
      jobId: ctx.jobId,
      scheduledAt: ctx.scheduledAt,
      executionId: ctx.subtaskId,
      parentId: ctx.executionId,
      item,
      attempt: ctx.attempt,
      clientId: settings.clientId,
    };
    if (settings.ledger !== undefined)
      appendLedger(settings.ledger, { event: 'start', ...line, at: Date.now() });
    const end = (outcome: string): void => {
      if (settings.ledger !== undefined)
        appendLedger(settings.ledger, { event: 'end', ...line, at: Date.now(), outcome });
    };
    if (p.quiet !== true) ctx.log(`got ${item}`);
    if (p.sleepMs !== undefined) await sleep(p.sleepMs, ctx.signal);
    if (p.fatal?.includes(index) === true) {
      end('failed');
      throw new NonRetryableError(`fatal ${item}`);
    }
    if (
      p.fail?.includes(index) === true ||
      (p.flaky?.includes(index) === true && ctx.attempt === 1)
    ) {
      end('failed');
      throw new Error(`failed ${item}`);
    }
    end('succeeded');
    return `ok ${item}`;
  },
  ...(reduce
    ? {
        reduce(results: SubtaskResult[]) {
          const ok = results.filter((r) => r.outcome === 'succeeded').length;
          return `${results.length} done, ${ok} succeeded`;
        },
      }
    : {}),
});
client.register('parallel-test', parallelHandler(false));
client.register('parallel-reduce', parallelHandler(true));

await client.start();
emit({ event: 'ready', clientId: settings.clientId });
process.once('SIGTERM', () => {
  void client.stop({ graceMs: 2_000 }).then(() => {
    emit({ event: 'stopped' });
    process.exit(0);
  });
});
