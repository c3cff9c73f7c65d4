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

const ENTRY = fileURLToPath(new URL('../../cli/src/dev-entry.ts', import.meta.url));

/**
 * Starts `carillon <args>` from the CLI's sources with `env` added to this process's
 * environment, as an operator would run it from a shell.
 */
export function startCarillonProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): CarillonProcess {
  const child = dieWithThisProcess(
    spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ENTRY, ...args], {
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
