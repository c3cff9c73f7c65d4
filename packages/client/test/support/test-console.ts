import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A discovery request as the test console saw it. */
export interface DiscoveryRequest {
  readonly group: string | null;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A real HTTP endpoint answering `GET /api/v1/discovery?groupId=` like the console: the servers
 * listed in `servers` for a request with the right bearer token, 401 otherwise.
 */
export class TestConsole {
  readonly requests: DiscoveryRequest[] = [];
  servers: { serverId: string; address: string; room: string }[] = [];
  readonly #token: string;
  readonly #server: Server;
  #url = '';

  private constructor(token: string) {
    this.#token = token;
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/api/v1/discovery') {
        res.writeHead(404).end();
        return;
      }
      this.requests.push({ group: url.searchParams.get('groupId'), headers: req.headers });
      if (req.headers.authorization !== `Bearer ${this.#token}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'invalid token' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ servers: this.servers }));
    });
  }

  /** Starts on 127.0.0.1 on a free port. */
  static async start(token: string): Promise<TestConsole> {
    const console = new TestConsole(token);
    await new Promise<void>((resolve) => console.#server.listen(0, '127.0.0.1', resolve));
    console.#url = `http://127.0.0.1:${(console.#server.address() as AddressInfo).port}`;
    return console;
  }

  /** The base URL, `http://127.0.0.1:<port>`. */
  get url(): string {
    return this.#url;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
