import type { ClientLogger } from './client-logger.js';
import type { ResolvedClientOptions } from './client-options.js';
import { Discovery } from './discovery.js';
import { ServerLink } from './server-link.js';
import type { ServerLinkHandlers } from './server-link.js';

/** How long closing a link waits for the server to end its side of the stream. */
export const LINK_CLOSE_TIMEOUT_MS = 2_000;

/** How long after a server left the list discovery is asked more often (a restart's length). */
const SOON_FOR_MS = 60_000;

/**
 * The client's links to the servers of its task group: the addresses come from a static list
 * or from the console's discovery endpoint, asked again every `discoveryIntervalMs`; new
 * servers get a link, servers no longer listed lose theirs.
 */
export class ServerFleet {
  readonly #options: ResolvedClientOptions;
  readonly #logger: ClientLogger;
  readonly #handlers: ServerLinkHandlers;
  readonly #onRemoved: (address: string) => void;
  readonly #discovery: Discovery | null;
  readonly #links = new Map<string, ServerLink>();
  readonly #closing = new Set<Promise<void>>();
  #refreshTimer: NodeJS.Timeout | undefined;
  /**
   * Until then (ms epoch) discovery is asked every `reconnectMaxMs` instead: a server that left
   * the list (killed, restarting) is found again as soon as it is back, not up to
   * `discoveryIntervalMs` later with no client, its share of the work on its peers.
   */
  #soonUntil = 0;
  #refreshAbort: AbortController | null = null;
  #closed = false;

  constructor(
    options: ResolvedClientOptions,
    handlers: ServerLinkHandlers,
    onRemoved: (address: string) => void,
  ) {
    this.#options = options;
    this.#logger = options.logger;
    this.#handlers = handlers;
    this.#onRemoved = onRemoved;
    this.#discovery =
      options.servers === null
        ? new Discovery(options.consoleUrls, options.group, options.token)
        : null;
  }

  /** The links, by server address. */
  get links(): ReadonlyMap<string, ServerLink> {
    return this.#links;
  }

  /**
   * The group's server addresses: the static list, or one round of discovery.
   *
   * @throws CarillonError `CARILLON_CLIENT_CONSOLE_REJECTED` or
   *   `CARILLON_CLIENT_DISCOVERY_FAILED` from discovery.
   */
  async addresses(signal?: AbortSignal): Promise<string[]> {
    if (this.#discovery === null) return [...(this.#options.servers ?? [])];
    const servers = await this.#discovery.servers(signal);
    return [...new Set(servers.map((server) => server.address))];
  }

  /** Opens links to new addresses and closes those of addresses no longer listed. */
  sync(addresses: readonly string[]): void {
    if (this.#closed) return;
    const wanted = new Set(addresses);
    for (const address of wanted) {
      if (this.#links.has(address)) continue;
      const link = new ServerLink(address, this.#options, this.#handlers);
      this.#links.set(address, link);
      this.#logger.info({ address }, 'connecting to a server');
      link.connect();
    }
    for (const [address, link] of this.#links) {
      if (wanted.has(address)) continue;
      this.#soonUntil = Date.now() + SOON_FOR_MS;
      this.#links.delete(address);
      this.#logger.info({ address }, 'a server left the group');
      this.#track(link.close(LINK_CLOSE_TIMEOUT_MS).then(() => this.#onRemoved(address)));
    }
  }

  /** Asks the console for the servers every `discoveryIntervalMs` (no-op with a static list). */
  startRefresh(): void {
    if (this.#discovery === null || this.#closed) return;
    const { discoveryIntervalMs, reconnectMaxMs } = this.#options;
    const soon = Date.now() < this.#soonUntil;
    this.#refreshTimer = setTimeout(
      () => {
        this.#refreshTimer = undefined;
        this.#track(this.#refresh());
      },
      soon ? Math.min(reconnectMaxMs, discoveryIntervalMs) : discoveryIntervalMs,
    );
  }

  /** Stops asking the console. */
  stopRefresh(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = undefined;
    this.#refreshAbort?.abort();
  }

  /** Stops refreshing and closes every link (see `ServerLink.close`). */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    this.stopRefresh();
    const links = [...this.#links.values()];
    this.#links.clear();
    await Promise.all([...links.map((link) => link.close(timeoutMs)), ...this.#closing]);
  }

  async #refresh(): Promise<void> {
    this.#refreshAbort = new AbortController();
    try {
      const addresses = await this.addresses(this.#refreshAbort.signal);
      // An empty answer more likely means the console lost sight of the servers than that they
      // all left; dropping every stream would fence the client for nothing.
      if (addresses.length === 0) {
        this.#logger.warn({}, 'discovery listed no server; keeping the current ones');
      } else {
        this.sync(addresses);
      }
    } catch (error) {
      if (!this.#closed) {
        this.#logger.warn({ err: error }, 'discovery failed; keeping the current servers');
      }
    } finally {
      this.#refreshAbort = null;
    }
    this.startRefresh();
  }

  #track(promise: Promise<void>): void {
    const tracked = promise.catch((error: unknown) =>
      this.#logger.error({ err: error }, 'server fleet task failed'),
    );
    this.#closing.add(tracked);
    void tracked.finally(() => this.#closing.delete(tracked));
  }
}
