import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dieWithThisProcess } from './reaper.js';

/** An event a test client process printed. */
export interface ClientProcessEvent {
  readonly event: 'ready' | 'started' | 'finished' | 'stopped';
  readonly executionId?: string;
  readonly attempt?: number;
  readonly jobId?: number;
  readonly handler?: string;
  readonly scheduledAt?: number;
  readonly at?: number;
  readonly outcome?: string;
  readonly aborted?: boolean;
}

/** A client (the real SDK) running in its own process. */
export interface ClientProcess {
  readonly child: ChildProcess;
  readonly events: ClientProcessEvent[];
  /** Resolves with the first event (seen or future) that matches. */
  waitForEvent(
    match: (e: ClientProcessEvent) => boolean,
    timeoutMs?: number,
  ): Promise<ClientProcessEvent>;
  /** Kills with SIGKILL and waits for the exit; resolves with when it was sent (ms epoch). */
  kill(): Promise<number>;
  /** SIGSTOP: the process freezes with its connections open. */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  /** Asks for a graceful stop (SIGTERM) and waits for the exit. */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./client-process-main.ts', import.meta.url));

/** Starts a client process with the test handlers `echo`, `sleep` and `fail`; resolves once it is connected. */
export async function startClientProcess(settings: {
  /** The console that lists the group's servers, or `servers`: a static list. */
  console?: string;
  servers?: readonly string[];
  group: string;
  token: string;
  clientId: string;
  concurrency?: number;
  fenceMs?: number;
  /** How long `start()` waits for a server's welcome (the SDK's default: 15 s). */
  startTimeoutMs?: number;
  /** A ledger file (see `readLedger`) the handlers append their starts and ends to. */
  ledger?: string;
  /** Client labels and room, for routing pins. */
  labels?: readonly string[];
  room?: string;
}): Promise<ClientProcess> {
  const child = dieWithThisProcess(
    spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
      env: { ...process.env, CARILLON_TEST_CLIENT: JSON.stringify(settings) },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const events: ClientProcessEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as ClientProcessEvent);
    } catch {
      return;
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waitForEvent = (
    match: (e: ClientProcessEvent) => boolean,
    timeoutMs = 30_000,
  ): Promise<ClientProcessEvent> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = events.find(match);
        if (found === undefined) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `client ${settings.clientId}: no matching event within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  await waitForEvent(
    (e) => e.event === 'ready',
    Math.max(30_000, (settings.startTimeoutMs ?? 0) + 15_000),
  );
  return {
    child,
    events,
    waitForEvent,
    async kill() {
      const at = Date.now();
      child.kill('SIGKILL');
      await exited;
      return at;
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
