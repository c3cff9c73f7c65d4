import type { Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';

/** A loopback TCP proxy that can cut a link the way a partition does (no FIN, no RST). */
export interface TcpProxy {
  /** `127.0.0.1:<port>` to connect to instead of the target. */
  readonly address: string;
  /**
   * From now on nothing passes: open connections stay open and silent, new ones are accepted
   * and left hanging, as across a network partition.
   */
  partition(): void;
  /** Ends the partition: the connections held through it are reset, new ones pass again. */
  heal(): void;
  /**
   * Arms a lost reply: the next chunk a client sends that contains `marker` (e.g. `commit`)
   * reaches the server, but nothing the server answers on that connection reaches the client,
   * and the client's side is closed `afterMs` later (default 200), so the statement completes
   * and the client sees its connection lost. Resolves when the cut is made.
   */
  cutReplyTo(marker: string, afterMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a {@link TcpProxy} in front of `target` (`host:port`), on a free loopback port or on
 * `listenPort` (a service that comes up after its clients were started, on a port they know).
 */
export async function startTcpProxy(target: string, listenPort = 0): Promise<TcpProxy> {
  const [host = '127.0.0.1', port = '0'] = target.split(':');
  const links = new Set<{ down: Socket; up: Socket | undefined }>();
  let partitioned = false;
  let cut: { marker: string; afterMs: number; done: () => void } | undefined;
  const server: Server = createServer((down) => {
    const link: { down: Socket; up: Socket | undefined } = { down, up: undefined };
    links.add(link);
    const drop = (): void => {
      links.delete(link);
      down.destroy();
      link.up?.destroy();
    };
    down.on('error', drop).on('close', drop);
    if (partitioned) {
      down.pause();
      return;
    }
    const up = connect({ host, port: Number(port) });
    link.up = up;
    up.on('error', drop).on('close', () => {
      // Across a partition the client must not learn that the far end closed.
      if (!partitioned) drop();
    });
    down.pipe(up);
    up.pipe(down);
    down.on('data', (data: Buffer) => {
      if (cut === undefined || !data.toString('latin1').toLowerCase().includes(cut.marker)) return;
      const { afterMs, done } = cut;
      cut = undefined;
      // The chunk goes on to the server (piped); its answer is read and thrown away.
      up.unpipe(down);
      up.resume();
      setTimeout(() => {
        down.destroy();
        done();
      }, afterMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  const address = server.address();
  const ownPort = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    address: `127.0.0.1:${ownPort}`,
    partition() {
      partitioned = true;
      for (const { down, up } of links) {
        down.unpipe();
        up?.unpipe();
        down.pause();
        up?.pause();
      }
    },
    cutReplyTo(marker, afterMs = 200) {
      return new Promise<void>((resolve) => {
        cut = { marker: marker.toLowerCase(), afterMs, done: resolve };
      });
    },
    heal() {
      partitioned = false;
      for (const { down, up } of [...links]) {
        down.resetAndDestroy();
        up?.destroy();
      }
      links.clear();
    },
    async close() {
      for (const { down, up } of links) {
        down.destroy();
        up?.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
