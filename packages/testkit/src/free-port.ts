import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports handed out lie below the kernel's ephemeral range. A port the OS picks for `listen(0)`
 * comes from that range, as do the source ports of every outgoing connection (MariaDB pools,
 * ZooKeeper sessions, gRPC streams): between the moment a test learns a free port and the
 * moment its child process binds it (seconds for a JVM on a loaded machine), or between a
 * server's kill and its restart on the same port, an outgoing connection could take it. In CI
 * that surfaced as a ZooKeeper node never serving. Below the range, only another test could.
 */
const LOWEST = 12_000;
/**
 * Each vitest worker (VITEST_POOL_ID 1, 2, ...) gets its own slice, so two test files running
 * at once never pick the same port (a child process inherits its worker's slice, and starts
 * its search elsewhere in it, by its pid); a process outside vitest (a bench, the local cluster
 * script) takes a slice by its pid.
 */
const SLICE = 2_000;

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/);
    return Number(low);
  } catch {
    return 32_768;
  }
}

function slice(): { first: number; size: number } | undefined {
  const slices = Math.floor((ephemeralLow() - LOWEST) / SLICE);
  if (slices < 2) return undefined;
  const pool = Number(process.env['VITEST_POOL_ID']);
  // Two vitest runs side by side (scripts/run-tests.js) both number their workers from 1: the
  // second one's slices start further on.
  const from = Number(process.env['CARILLON_TEST_PORT_SLICES_FROM'] ?? 0);
  // Slice 0 for processes outside vitest, 1.. for the workers.
  const index = Number.isInteger(pool) && pool > 0 ? 1 + ((from + pool - 1) % (slices - 1)) : 0;
  return { first: LOWEST + index * SLICE, size: SLICE };
}

const mine = slice();
// Where the next search starts: moving on from each port handed out, so one freed a moment ago
// (a killed server's, waiting for its restart) is not handed out again soon.
let cursor = mine === undefined ? 0 : (process.pid * 7919) % mine.size;

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago and that no outgoing connection takes. */
export async function freePort(): Promise<number> {
  if (mine !== undefined) {
    for (let tries = 0; tries < mine.size; tries++) {
      const port = mine.first + cursor;
      cursor = (cursor + 1) % mine.size;
      const bound = await tryListen(port);
      if (bound !== undefined) return bound;
    }
  }
  // A kernel whose ephemeral range starts low leaves no room below it: the OS picks.
  const picked = await tryListen(0);
  if (picked === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return picked;
}
