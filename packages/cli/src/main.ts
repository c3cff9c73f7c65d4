import { createRequire } from 'node:module';
import { CarillonError } from '@carillon/core';
import { CliErrorCode } from './errors.js';
import type { CommandIo } from './io.js';
import { ExitCode } from './io.js';

/** A subcommand: takes the arguments after its name, returns the exit code. */
type Command = (args: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> = {
  dev: {
    summary: 'run a server, the console and a demo client in one process (SQLite)',
    load: async () => (await import('./commands/dev.js')).runDevCommand,
  },
  server: {
    summary: 'run a scheduling server (configured by CARILLON_* variables)',
    load: async () => (await import('./commands/server.js')).runServerCommand,
  },
  console: {
    summary: 'run the console: REST API and web page (configured by CARILLON_* variables)',
    load: async () => (await import('./commands/console.js')).runConsoleCommand,
  },
  migrate: {
    summary: 'bring the database schema up to date (CARILLON_DB_URL)',
    load: async () => (await import('./commands/migrate.js')).runMigrateCommand,
  },
  cron: {
    summary: 'cron next|explain: evaluate Quartz cron expressions',
    load: async () => (await import('./commands/cron.js')).runCronCommand,
  },
};

/**
 * Runs the `carillon` command with `argv` (without node and the script) and returns the exit
 * code: 0 on success, 1 on a failure, 2 on bad usage or input.
 */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout.write(`carillon ${cliVersion()}\n`);
    return ExitCode.Ok;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
    const stream =
      name === undefined || name === 'help' || name === '--help' ? io.stdout : io.stderr;
    if (name !== undefined && name !== 'help' && name !== '--help')
      stream.write(`unknown command: ${name}\n`);
    stream.write(
      `usage: carillon <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
        `"carillon <command> --help" describes a command and its settings; "carillon --version" prints the version.\n`,
    );
    return name === undefined || name === 'help' || name === '--help'
      ? ExitCode.Ok
      : ExitCode.Usage;
  }
  const run = await command.load();
  try {
    return await run(rest, io);
  } catch (error) {
    // Bad configuration is the user's to fix: say what is wrong, without a stack trace.
    if (error instanceof CarillonError && error.code === CliErrorCode.InvalidConfig) {
      io.stderr.write(`carillon ${name}: ${error.message}\n(see "carillon ${name} --help")\n`);
      return ExitCode.Usage;
    }
    // So is a port another process holds.
    const listen = await listenFailure(error);
    if (listen !== undefined) {
      io.stderr.write(
        `carillon ${name}: ${listen}; choose another with --port / --rpc-port or CARILLON_HTTP_PORT / CARILLON_RPC_PORT\n`,
      );
      return ExitCode.Failure;
    }
    io.stderr.write(`carillon ${name}: ${describeFailure(error)}\n`);
    return ExitCode.Failure;
  }
}

/** The version of this package, from its package.json (beside `src/` and `dist/`). */
function cliVersion(): string {
  const manifest = createRequire(import.meta.url)('../package.json') as { version: string };
  return manifest.version;
}

/**
 * One line for a failure the operator can act on (our own errors, a database or network error
 * with a code); the stack only for the unexpected, which is a bug to report.
 */
function describeFailure(error: unknown): string {
  if (error instanceof CarillonError) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause} [${error.code}]`;
  }
  const coded = error as { code?: unknown; errno?: unknown; message?: unknown };
  // System and driver errors (ECONNREFUSED, ER_ACCESS_DENIED_ERROR); Node's ERR_* are bugs.
  if (error instanceof Error && typeof coded.code === 'string' && !coded.code.startsWith('ERR_')) {
    const hint = coded.errno === 1049 ? '; create it with "carillon migrate" (see its --help)' : '';
    return `${error.message} [${coded.code}]${hint}`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** What went wrong when a listener could not bind its address, or undefined for other errors. */
async function listenFailure(error: unknown): Promise<string | undefined> {
  // Loaded here, not at the top: `carillon cron` must not pay for gRPC.
  const { ProtocolErrorCode } = await import('@carillon/protocol');
  if (error instanceof CarillonError && error.code === ProtocolErrorCode.ListenFailed)
    return error.message;
  // Node's own listeners (the console's HTTP server) fail with the socket's error.
  const socket = error as { code?: unknown; address?: unknown; port?: unknown };
  if (socket?.code === 'EADDRINUSE')
    return `cannot listen on ${String(socket.address)}:${String(socket.port)}: the address is in use`;
  return undefined;
}
