import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dieWithThisProcess } from './reaper.js';

/** A `carillon` command (server, console, migrate) running in its own process. */
export interface CarillonProcess {
  readonly child: ChildProcess;
  /** What it printed so far, stdout and stderr together. */
  output(): string;
  /** Resolves with the exit code once it exits. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (default SIGTERM; SIGKILL for a crash) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the process freezes with its connections and sessions open. */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
}

const SOURCE_ENTRY = fileURLToPath(new URL('../../cli/src/dev-entry.ts', import.meta.url));
/** The `carillon` command an operator runs: the build (`dist`), as `npm ci` leaves it. */
const BUILT_ENTRY = fileURLToPath(new URL('../../cli/bin/carillon.js', import.meta.url));

/** Options of {@link startCarillonProcess}. */
export interface CarillonProcessOptions {
  /**
   * Runs the built CLI, as an operator does, instead of its TypeScript sources through tsx,
   * for a bench that measures what users run: tsx alone cost a process woken every 100 ms
   * about 10 ms of CPU a second here, and keeps each module's transform and source map in the
   * heap. The build must be current (`npx tsc -b`). Default false: tests need no build.
   */
  readonly built?: boolean;
}

/**
 * Starts `carillon <args>` with `env` added to this process's environment, as an operator
 * would run it from a shell: from the CLI's sources, or its build (see `options.built`).
 */
export function startCarillonProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: CarillonProcessOptions = {},
): CarillonProcess {
  const command = options.built
    ? [BUILT_ENTRY, ...args]
    : ['--conditions=source', '--import', 'tsx', SOURCE_ENTRY, ...args];
  const child = dieWithThisProcess(
    spawn(process.execPath, command, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        // A paused process only acts on the signal once it runs again.
        if (signal !== 'SIGKILL') child.kill('SIGCONT');
        child.kill(signal);
      }
      await exited;
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
  };
}
