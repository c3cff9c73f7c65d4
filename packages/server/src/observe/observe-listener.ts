import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.js';

/** Settings of {@link ObserveListener}. */
export interface ObserveListenerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Port 0 picks a free one. */
  readonly port: number;
  readonly registry: Registry;
  readonly readiness: Readiness;
}

/**
 * The server's small HTTP listener for operators: `GET /metrics` (Prometheus text format),
 * `GET /livez` (the process answers) and `GET /readyz` (200 when every readiness check passes,
 * else 503; the body lists the checks as JSON). Anything else is 404.
 */
export class ObserveListener {
  readonly #o: ObserveListenerOptions;
  readonly #http: Server;
  #url = '';

  private constructor(options: ObserveListenerOptions) {
    this.#o = options;
    this.#http = createServer((req, res) => void this.#handle(req, res));
  }

  /** Binds and starts serving. */
  static async start(options: ObserveListenerOptions): Promise<ObserveListener> {
    const listener = new ObserveListener(options);
    await new Promise<void>((resolve, reject) => {
      listener.#http.once('error', reject);
      listener.#http.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
    });
    const address = listener.#http.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    listener.#url = `http://${host}:${address.port}`;
    return listener;
  }

  /** Base URL, e.g. `http://127.0.0.1:9464`. */
  get url(): string {
    return this.#url;
  }

  /** Stops listening and closes open connections. */
  async close(): Promise<void> {
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'text/plain', 'method not allowed\n');
      } else if (path === '/metrics') {
        send(res, 200, this.#o.registry.contentType, await this.#o.registry.metrics());
      } else if (path === '/livez') {
        send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
      } else if (path === '/readyz') {
        const report = await this.#o.readiness.check();
        send(
          res,
          report.ready ? 200 : 503,
          'application/json',
          JSON.stringify({ status: report.ready ? 'ready' : 'not ready', checks: report.checks }),
        );
      } else {
        send(res, 404, 'text/plain', 'not found\n');
      }
    } catch (error) {
      send(res, 500, 'text/plain', `${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
