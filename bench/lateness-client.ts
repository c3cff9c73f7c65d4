// The bench's client process: the real SDK, in its own process. Prints one line per handler
// start, "<jobId> <scheduledAt> <startedAt> <executionId>", for the bench to measure lateness,
// and "disconnected <details>" when a stream to a server ends.
import { Client } from '@carillon/client';

const settings = JSON.parse(process.env['CARILLON_BENCH_CLIENT'] ?? '{}') as {
  /** The console to learn the servers from, or `servers`: a static list. */
  console?: string;
  servers?: string[];
  group: string;
  token: string;
  concurrency: number;
};
const lines: string[] = [];
const flush = (): void => {
  if (lines.length > 0) process.stdout.write(lines.splice(0).join(''));
};
const timer = setInterval(flush, 200);

const client = new Client({
  ...(settings.console === undefined ? {} : { console: settings.console }),
  ...(settings.servers === undefined ? {} : { servers: settings.servers }),
  group: settings.group,
  token: settings.token,
  clientId: `bench-${process.pid}`,
});
client.register('bench', {
  concurrency: settings.concurrency,
  execute(ctx) {
    lines.push(`${ctx.jobId} ${ctx.scheduledAt} ${Date.now()} ${ctx.executionId}\n`);
    return undefined;
  },
});
client.on('server:disconnected', (e) => lines.push(`disconnected ${e.details}\n`));
await client.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void client.stop({ graceMs: 2_000 }).then(() => {
    clearInterval(timer);
    flush();
    process.exit(0);
  });
});
