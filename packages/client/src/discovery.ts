import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CarillonError } from '@carillon/protocol';
import { ClientErrorCode, clientError } from './errors.js';

/** A server of the task group's ServerGroup, as the console's discovery endpoint lists it. */
export interface DiscoveredServer {
  readonly serverId: string;
  /** Its RPC address, `host:port`. */
  readonly address: string;
  readonly room: string;
}

const MAX_BODY_BYTES = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Asks the console which servers serve a task group: `GET {console}/api/v1/discovery?groupId=`
 * with the client token as a bearer token. Several console URLs are tried in order; the last
 * one that answered is tried first next time.
 */
export class Discovery {
  readonly #urls: readonly string[];
  readonly #group: string;
  readonly #token: string;
  #preferred = 0;

  constructor(urls: readonly string[], group: string, token: string) {
    this.#urls = urls;
    this.#group = group;
    this.#token = token;
  }

  /**
   * The group's servers.
   *
   * @throws CarillonError `CARILLON_CLIENT_CONSOLE_REJECTED` when a console answers 401, 403 or
   *   404 (asking another console would not help); `CARILLON_CLIENT_DISCOVERY_FAILED` when no
   *   console gave a usable answer.
   */
  async servers(signal?: AbortSignal): Promise<DiscoveredServer[]> {
    const failures: string[] = [];
    for (let i = 0; i < this.#urls.length; i++) {
      const index = (this.#preferred + i) % this.#urls.length;
      const base = this.#urls[index] ?? '';
      try {
        const servers = await this.#ask(base, signal);
        this.#preferred = index;
        return servers;
      } catch (error) {
        if (error instanceof CarillonError && error.code === ClientErrorCode.ConsoleRejected) {
          throw error;
        }
        if (signal?.aborted === true) throw error;
        failures.push(`${base}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw clientError(
      ClientErrorCode.DiscoveryFailed,
      `no console answered the discovery request (${failures.join('; ')})`,
    );
  }

  async #ask(base: string, signal: AbortSignal | undefined): Promise<DiscoveredServer[]> {
    const url = new URL('api/v1/discovery', base.endsWith('/') ? base : `${base}/`);
    url.searchParams.set('groupId', this.#group);
    const response = await get(url, this.#token, signal);
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      throw clientError(
        ClientErrorCode.ConsoleRejected,
        `the console at ${base} refused the discovery of group ${this.#group} ` +
          `(HTTP ${response.status}${describeBody(response.body)}): check the token and the group`,
        { details: { status: response.status, console: base } },
      );
    }
    if (response.status !== 200) {
      throw new Error(`HTTP ${response.status}${describeBody(response.body)}`);
    }
    return parseServers(response.body);
  }
}

function parseServers(body: string): DiscoveredServer[] {
  const parsed: unknown = JSON.parse(body);
  const list = (parsed as { servers?: unknown } | null)?.servers;
  if (!Array.isArray(list)) throw new Error('the answer has no "servers" list');
  return list.map((item: unknown, i) => {
    const server = (item ?? {}) as Record<string, unknown>;
    if (typeof server.address !== 'string' || server.address.length === 0) {
      throw new Error(`servers[${i}].address is missing`);
    }
    return {
      serverId: typeof server.serverId === 'string' ? server.serverId : server.address,
      address: server.address,
      room: typeof server.room === 'string' ? server.room : '',
    };
  });
}

function describeBody(body: string): string {
  const text = body.trim().slice(0, 200);
  return text.length === 0 ? '' : `: ${text}`;
}

function get(
  url: URL,
  token: string,
  signal: AbortSignal | undefined,
): Promise<{ status: number; body: string }> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // agent: false closes the socket after the answer, so no idle keep-alive socket outlives
    // the request and holds the process open after stop().
    const req = request(
      url,
      {
        method: 'GET',
        agent: false,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        ...(signal === undefined ? {} : { signal }),
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new Error('the answer is too large'));
          else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () =>
      req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}
