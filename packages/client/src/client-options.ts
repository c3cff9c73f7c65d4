import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ClientTls } from '@carillon/protocol';
import { LABEL_PATTERN, PROTOCOL_LIMITS } from '@carillon/protocol';
import type { ClientLogger } from './client-logger.js';
import { silentLogger } from './client-logger.js';
import { ClientErrorCode, clientError } from './errors.js';

/** Options of {@link Client}. Only `group`, `token` and `console` (or `servers`) are required. */
export interface ClientOptions {
  /**
   * The console's base URL, e.g. `http://127.0.0.1:7700`, or several: they are tried in order
   * and the next one is used when one fails. The client asks it for the task group's servers.
   * Required unless `servers` is given.
   */
  readonly console?: string | readonly string[];
  /**
   * A static list of server RPC addresses (`host:port`) to use instead of asking the console.
   * When given, the console is not asked at all.
   */
  readonly servers?: readonly string[];
  /** The task group the client joins, e.g. `101-1-1-6601`. */
  readonly group: string;
  /** A client token of the task group, issued by the console. */
  readonly token: string;
  /** The client's id, unique in the group. Default: `<hostname>-<pid>-<random>`. */
  readonly clientId?: string;
  /** How many executions run at once over all handlers. Default: the sum of their concurrencies. */
  readonly capacity?: number;
  /** The machine room or availability zone, for routing. Default: empty (unknown). */
  readonly room?: string;
  /**
   * Labels for jobs pinned to labels (a job's `routeLabels`): such a job runs only on clients
   * that declare all of its labels. Each of letters, digits and `_ . : / = -`, starting with a
   * letter or digit, at most 64 characters; at most 16. Default: none.
   *
   * @example new Client({ ..., labels: ['gpu', 'zone=eu-1'] })
   */
  readonly labels?: readonly string[];
  /** Where the SDK logs; pino and `console` fit. Default: silent. */
  readonly logger?: ClientLogger;
  /** TLS for the streams to servers. Default: plaintext. */
  readonly tls?: ClientTls;
  /**
   * How often to ask the console for the servers again (ms). Default 30,000. For a minute after
   * a server left the list, every `reconnectMaxMs` instead (it is likely restarting).
   */
  readonly discoveryIntervalMs?: number;
  /**
   * How long `start()` waits for a first server (ms). Default 60,000: as long as a server waits
   * for its database and ZooKeeper (`CARILLON_START_WAIT_MS`), so that an application started
   * together with its scheduler (a boot, a whole restart) does not give up before it.
   */
  readonly startTimeoutMs?: number;
  /** The first reconnection delay after a stream ends (ms, doubled each time, jittered). Default 100. */
  readonly reconnectInitialMs?: number;
  /** The longest reconnection delay (ms). Default 5,000. */
  readonly reconnectMaxMs?: number;
  /**
   * The fence interval used until a server says otherwise in its Welcome (ms): cut off from
   * every server for longer than this, the client aborts its running handlers. Default 10,000.
   */
  readonly fenceMs?: number;
}

/** {@link ClientOptions} checked, with every default applied. */
export interface ResolvedClientOptions {
  readonly consoleUrls: readonly string[];
  readonly servers: readonly string[] | null;
  readonly group: string;
  readonly token: string;
  readonly clientId: string;
  readonly capacity: number | null;
  readonly room: string;
  readonly labels: readonly string[];
  readonly logger: ClientLogger;
  readonly tls: ClientTls | null;
  readonly discoveryIntervalMs: number;
  readonly startTimeoutMs: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  readonly fenceMs: number;
}

// The same rule as the core's task group id (four positive integers without leading zeros, at
// most nine digits each); the SDK must not import the core, and protocol would only reject the
// Hello later with a less helpful message.
const TASK_GROUP_ID = /^[1-9]\d{0,8}-[1-9]\d{0,8}-[1-9]\d{0,8}-[1-9]\d{0,8}$/;

/**
 * Checks the options and applies the defaults. Does no I/O.
 *
 * @throws CarillonError `CARILLON_CLIENT_INVALID_OPTIONS` naming the bad option.
 */
export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  const consoleUrls =
    options.console === undefined
      ? []
      : typeof options.console === 'string'
        ? [options.console]
        : [...options.console];
  consoleUrls.forEach((url) => checkUrl(url));
  const servers = options.servers === undefined ? null : [...options.servers];
  if (servers !== null) {
    if (servers.length === 0) invalid('servers', 'must name at least one server');
    servers.forEach((address) => {
      if (!/^[^\s/]+:\d+$/.test(address)) invalid('servers', `"${address}" is not host:port`);
    });
  }
  if (servers === null && consoleUrls.length === 0) {
    invalid('console', 'is required (or give a static list of servers)');
  }
  if (typeof options.group !== 'string' || !TASK_GROUP_ID.test(options.group)) {
    invalid('group', `"${String(options.group)}" is not a task group id like 101-1-1-6601`);
  }
  if (typeof options.token !== 'string' || options.token.length === 0) {
    invalid('token', 'is required');
  }
  if (options.token.length > PROTOCOL_LIMITS.tokenMaxLength) invalid('token', 'is too long');
  const clientId = options.clientId ?? defaultClientId();
  if (clientId.length === 0 || clientId.length > PROTOCOL_LIMITS.idMaxLength) {
    invalid('clientId', `must have 1 to ${PROTOCOL_LIMITS.idMaxLength} characters`);
  }
  const room = options.room ?? '';
  if (room.length > PROTOCOL_LIMITS.idMaxLength) invalid('room', 'is too long');
  const labels = [...(options.labels ?? [])];
  if (labels.length > PROTOCOL_LIMITS.labelsMax)
    invalid('labels', `must have at most ${PROTOCOL_LIMITS.labelsMax} labels`);
  for (const label of labels) {
    if (
      typeof label !== 'string' ||
      label.length > PROTOCOL_LIMITS.labelMaxLength ||
      !LABEL_PATTERN.test(label)
    )
      invalid('labels', `"${String(label)}" is not a label like gpu or zone=eu-1`);
  }
  if (new Set(labels).size !== labels.length) invalid('labels', 'names a label twice');
  return Object.freeze({
    consoleUrls: Object.freeze(consoleUrls),
    servers: servers === null ? null : Object.freeze(servers),
    group: options.group,
    token: options.token,
    clientId,
    capacity: options.capacity === undefined ? null : positive('capacity', options.capacity),
    room,
    labels: Object.freeze(labels),
    logger: options.logger ?? silentLogger,
    tls: options.tls ?? null,
    discoveryIntervalMs: positive('discoveryIntervalMs', options.discoveryIntervalMs ?? 30_000),
    startTimeoutMs: positive('startTimeoutMs', options.startTimeoutMs ?? 60_000),
    reconnectInitialMs: positive('reconnectInitialMs', options.reconnectInitialMs ?? 100),
    reconnectMaxMs: positive('reconnectMaxMs', options.reconnectMaxMs ?? 5_000),
    fenceMs: positive('fenceMs', options.fenceMs ?? 10_000),
  });
}

function defaultClientId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`.slice(
    -PROTOCOL_LIMITS.idMaxLength,
  );
}

function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return invalid('console', `"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    invalid('console', `"${url}" is not an http or https URL`);
  }
}

/** Checks a positive integer option (a count or a number of milliseconds). */
export function positive(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    invalid(option, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function invalid(option: string, reason: string): never {
  throw clientError(ClientErrorCode.InvalidOptions, `${option} ${reason}`, {
    details: { option },
  });
}
