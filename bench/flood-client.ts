// The flooding client of bench/client-flood.ts, in a process of its own so that it does not
// share the server's event loop. For SECONDS it authenticates with a client token of its own
// task group and writes progress reports about EXECUTION (another client's, running) as fast as
// its stream takes them: it waits for `drain` when the write buffer is full, as a fast client
// would, and yields to the event loop every 100 messages (or nothing leaves). When the server
// closes the stream it opens a new one at once, as a hostile client would, under a new client
// id each time with ROTATE = `rotate`. The server refuses each report it reads, so the bench
// can count them.
// Prints one JSON line: {"written":..,"streams":..,"closes":{"<code> <details>":..}}
// Usage: node --conditions=source --import tsx bench/flood-client.ts ADDRESS GROUP TOKEN EXECUTION SECONDS [ROTATE]
import { once } from 'node:events';
import { DispatcherClient, PROTOCOL_VERSION } from '@carillon/protocol';
import type { ClientMessage, ServerConnection, StreamStatus } from '@carillon/protocol';

const [address, groupId, token, executionId, secondsArg, rotate] = process.argv.slice(2);
if (
  address === undefined ||
  groupId === undefined ||
  token === undefined ||
  executionId === undefined
)
  throw new Error('usage: flood-client.ts ADDRESS GROUP TOKEN EXECUTION SECONDS');
const endAt = Date.now() + Number(secondsArg ?? 10) * 1_000;
const client = new DispatcherClient(address);
const closes = new Map<string, number>();
let written = 0;
let streams = 0;

/** Floods one stream until the server closes it or the time is up. */
async function flood(connection: ServerConnection): Promise<void> {
  let open = true;
  const closed = new Promise<void>((resolve) =>
    connection.once('close', (status: StreamStatus) => {
      open = false;
      const why = `${status.code} ${status.details}`;
      closes.set(why, (closes.get(why) ?? 0) + 1);
      resolve();
    }),
  );
  connection.send({
    kind: 'hello',
    groupId: groupId!,
    clientId: rotate === 'rotate' ? `flooder-${streams}` : 'flooder',
    token: token!,
    handlers: [{ name: 'flood', concurrency: 1 }],
    capacity: 1,
    room: '',
    sdkVersion: 'bench',
    protocolVersion: PROTOCOL_VERSION,
    running: [],
  });
  const welcome = once(connection, 'message');
  await Promise.race([welcome, closed]);
  while (open && Date.now() < endAt) {
    const progress: ClientMessage = {
      kind: 'progress',
      executionId: executionId!,
      attempt: 1,
      at: Date.now(),
      fraction: 0.5,
      message: null,
    };
    written++;
    if (!connection.send(progress)) await Promise.race([once(connection, 'drain'), closed]);
    else if (written % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  if (open) connection.cancel();
  await closed;
}

while (Date.now() < endAt) {
  streams++;
  await flood(client.connect());
}
console.log(JSON.stringify({ written, streams, closes: Object.fromEntries(closes) }));
client.close();
process.exit(0);
