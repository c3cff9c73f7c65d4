import { hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import { PASSWORD_LIMITS } from '@carillon/console';
import { readRoomRules, readZooKeeper, roomOf } from './cluster-config.js';
import type { ZooKeeperConfig } from './cluster-config.js';
import { EnvReader } from './env-reader.js';
import type { FlagSpec } from './flags.js';
import { readFlags } from './flags.js';

/** Where the database is and how processes find each other. */
export interface CommonConfig {
  /** `mysql://user:pass@host:port/db` or `sqlite:///abs/path/file.db`. */
  readonly dbUrl: string;
  readonly cluster: number;
  readonly serverGroups: readonly number[];
  readonly logLevel: string;
  /** Undefined: no shared coordinator (one server per ServerGroup, in-process coordination). */
  readonly zk: ZooKeeperConfig | undefined;
  /** How long a starting process waits for the database and ZooKeeper to answer. */
  readonly startWaitMs: number;
}

/** The certificate a server's gRPC listener presents, and the CA its clients must show (mTLS). */
export interface ServerTlsConfig {
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
  /** Set: clients must present a certificate this CA signed (mutual TLS). */
  readonly clientCa: Buffer | undefined;
}

/** SMTP for alert e-mails: `smtp://user:pass@host:587` or `smtps://host:465`, and the From address. */
export interface SmtpConfig {
  readonly url: string;
  readonly from: string;
}

/** Settings of a scheduling server process. */
export interface ServerConfig extends CommonConfig {
  readonly serverId: string;
  readonly serverGroup: number;
  readonly room: string;
  readonly rpcHost: string;
  readonly rpcPort: number;
  readonly rpcAdvertisedAddress: string | undefined;
  readonly leadMs: number;
  readonly claimAheadMs: number;
  /** How long a holder gone from the membership keeps its jobs before they are re-assigned. */
  readonly holderGraceMs: number;
  /** How long a client cut off from every server keeps running handlers (told to clients). */
  readonly fenceMs: number;
  /**
   * A peer whose heartbeat has not changed for this long counts as gone: its claimed, unsent
   * fires are adopted. Three heartbeats (100 ms each) at least, so that one late write does
   * not make a live peer look gone.
   */
  readonly goneAfterMs: number;
  /** Undefined: plaintext gRPC. */
  readonly tls: ServerTlsConfig | undefined;
  /** Where `/metrics`, `/livez` and `/readyz` are served; undefined: not at all (the default). */
  readonly observe: { readonly host: string; readonly port: number } | undefined;
  /** Undefined: e-mail alert rules fail their deliveries (webhooks still work). */
  readonly smtp: SmtpConfig | undefined;
}

/** Settings of a console process. */
export interface ConsoleConfig extends CommonConfig {
  readonly httpHost: string;
  readonly httpPort: number;
  /** Set: creates this admin if none exists. */
  readonly admin: { readonly username: string; readonly password: string } | undefined;
  /** For the "send a test" action of e-mail alert rules. */
  readonly smtp: SmtpConfig | undefined;
}

/** Settings of `carillon dev`. */
export interface DevConfig {
  readonly dataDir: string;
  readonly httpPort: number;
  readonly rpcPort: number;
  readonly logLevel: string;
  /** Undefined: a generated one, kept in the data directory. */
  readonly adminPassword: string | undefined;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
type Env = Readonly<Record<string, string | undefined>>;

/** Flags of the commands configured by variables; `--log-level` overrides CARILLON_LOG_LEVEL. */
const LOG_FLAG: FlagSpec = { 'log-level': { type: 'string' } };

function checkLogLevel(r: EnvReader, label: string, level: string): void {
  if (!LOG_LEVELS.includes(level))
    r.problem(`${label} must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
}

function checkDbUrl(r: EnvReader, dbUrl: string): void {
  let url: URL;
  try {
    url = new URL(dbUrl);
  } catch {
    r.problem(`CARILLON_DB_URL is not a URL: "${dbUrl}"`);
    return;
  }
  if (url.protocol === 'mysql:' || url.protocol === 'mariadb:') {
    if (url.hostname === '' || url.pathname.replace(/^\//, '') === '')
      r.problem(
        `CARILLON_DB_URL needs a host and a database, e.g. mysql://root@127.0.0.1:3306/carillon, got "${dbUrl}"`,
      );
  } else if (url.protocol === 'sqlite:') {
    const path = decodeURIComponent(url.pathname);
    if (url.hostname !== '' || !isAbsolute(path))
      r.problem(
        `CARILLON_DB_URL: a sqlite URL names an absolute path after three slashes, e.g. sqlite:///var/lib/carillon/carillon.db, got "${dbUrl}"`,
      );
  } else {
    r.problem(`CARILLON_DB_URL must start with mysql:// or sqlite://, got "${dbUrl}"`);
  }
}

function common(
  r: EnvReader,
  flags: Readonly<Record<string, string | boolean | undefined>>,
): CommonConfig {
  const dbUrl = r.optional('CARILLON_DB_URL');
  if (dbUrl === undefined)
    r.problem(
      'CARILLON_DB_URL is required, e.g. mysql://root@127.0.0.1:3306/carillon or sqlite:///var/lib/carillon/carillon.db',
    );
  else checkDbUrl(r, dbUrl);
  const groups = r
    .string('CARILLON_SERVER_GROUPS', '1')
    .split(',')
    .map((s) => Number(s.trim()));
  if (groups.some((g) => !Number.isSafeInteger(g) || g < 1))
    r.problem('CARILLON_SERVER_GROUPS must be positive integers separated by commas');
  const flagLevel = flags['log-level'];
  const logLevel =
    typeof flagLevel === 'string' ? flagLevel : r.string('CARILLON_LOG_LEVEL', 'info');
  checkLogLevel(r, typeof flagLevel === 'string' ? '--log-level' : 'CARILLON_LOG_LEVEL', logLevel);
  return {
    dbUrl: dbUrl ?? '',
    cluster: r.integer('CARILLON_CLUSTER', 101, 1, 999_999_999),
    serverGroups: groups,
    logLevel,
    zk: readZooKeeper(r),
    startWaitMs: r.integer('CARILLON_START_WAIT_MS', 60_000, 0, 3_600_000),
  };
}

function adminPassword(r: EnvReader): string | undefined {
  const password = r.optional('CARILLON_ADMIN_PASSWORD');
  if (
    password !== undefined &&
    (password.length < PASSWORD_LIMITS.min || password.length > PASSWORD_LIMITS.max)
  )
    r.problem(
      `CARILLON_ADMIN_PASSWORD must be ${PASSWORD_LIMITS.min} to ${PASSWORD_LIMITS.max} characters long, got ${password.length}`,
    );
  return password;
}

function serverTls(r: EnvReader): ServerTlsConfig | undefined {
  const certFile = r.optional('CARILLON_TLS_CERT_FILE');
  const keyFile = r.optional('CARILLON_TLS_KEY_FILE');
  const caFile = r.optional('CARILLON_TLS_CLIENT_CA_FILE');
  if (certFile === undefined && keyFile === undefined) {
    if (caFile !== undefined)
      r.problem(
        'CARILLON_TLS_CLIENT_CA_FILE (mutual TLS) needs CARILLON_TLS_CERT_FILE and CARILLON_TLS_KEY_FILE',
      );
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    r.problem('CARILLON_TLS_CERT_FILE and CARILLON_TLS_KEY_FILE go together: set both or neither');
    return undefined;
  }
  const certChain = r.file('CARILLON_TLS_CERT_FILE', certFile);
  const privateKey = r.file('CARILLON_TLS_KEY_FILE', keyFile);
  const clientCa = caFile === undefined ? undefined : r.file('CARILLON_TLS_CLIENT_CA_FILE', caFile);
  if (certChain === undefined || privateKey === undefined) return undefined;
  return { certChain, privateKey, clientCa };
}

/**
 * Reads `carillon migrate`'s flags and the settings every process shares (database, cluster,
 * logging).
 *
 * @throws CarillonError `CARILLON_INVALID_CONFIG` naming every bad flag and variable.
 */
export function readCommonConfig(env: Env, args: readonly string[] = []): CommonConfig {
  const r = new EnvReader(env);
  const config = common(r, readFlags(args, LOG_FLAG, r));
  r.done();
  return Object.freeze(config);
}

/**
 * Reads the server's flags and environment, validated once and frozen; reads its TLS files.
 *
 * @throws CarillonError `CARILLON_INVALID_CONFIG` naming every bad flag and variable.
 */
export function readServerConfig(env: Env, args: readonly string[] = []): ServerConfig {
  const r = new EnvReader(env);
  const base = common(r, readFlags(args, LOG_FLAG, r));
  const rpcHost = r.string('CARILLON_RPC_HOST', '127.0.0.1');
  const rpcAdvertisedAddress = r.optional('CARILLON_RPC_ADVERTISED_ADDRESS');
  const serverId = r.string(
    'CARILLON_SERVER_ID',
    `${hostname()}-${r.string('CARILLON_RPC_PORT', '7701')}`,
  );
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(serverId))
    r.problem(
      `CARILLON_SERVER_ID must be 1 to 100 letters, digits, dots, dashes or underscores, got "${serverId}"`,
    );
  const config: ServerConfig = {
    ...base,
    serverId,
    serverGroup: r.integer('CARILLON_SERVER_GROUP', base.serverGroups[0] ?? 1, 1, 999_999_999),
    // The address peers and clients reach it at decides the room, as in the room rules' design.
    room: roomOf(r, r.optional('CARILLON_ROOM'), readRoomRules(r), rpcAdvertisedAddress ?? rpcHost),
    rpcHost,
    rpcPort: r.integer('CARILLON_RPC_PORT', 7701, 0, 65_535),
    rpcAdvertisedAddress,
    leadMs: r.integer('CARILLON_LEAD_MS', 300, 0, 60_000),
    claimAheadMs: r.integer('CARILLON_CLAIM_AHEAD_MS', 700, 0, 60_000),
    holderGraceMs: r.integer('CARILLON_HOLDER_GRACE_MS', 10_000, 0, 86_400_000),
    fenceMs: r.integer('CARILLON_FENCE_MS', 10_000, 1_000, 3_600_000),
    goneAfterMs: r.integer('CARILLON_GONE_AFTER_MS', 600, 300, 60_000),
    tls: serverTls(r),
    observe: observeListener(r),
    smtp: smtpSettings(r),
  };
  r.done();
  return Object.freeze(config);
}

/** SMTP for alert e-mails: on when CARILLON_SMTP_URL is set. */
function smtpSettings(r: EnvReader): SmtpConfig | undefined {
  const url = r.optional('CARILLON_SMTP_URL');
  const from = r.string('CARILLON_ALERT_FROM', `carillon@${hostname()}`);
  if (!/^[^\s@]+@[^\s@]+$/.test(from))
    r.problem(`CARILLON_ALERT_FROM must be an e-mail address, got "${from}"`);
  if (url === undefined) return undefined;
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:')
    r.problem(
      'CARILLON_SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtp://mail.example.com:587',
    );
  return { url, from };
}

/** The server's metrics and health listener: on only when CARILLON_METRICS_PORT is set. */
function observeListener(r: EnvReader): ServerConfig['observe'] {
  const host = r.string('CARILLON_METRICS_HOST', '127.0.0.1');
  if (r.optional('CARILLON_METRICS_PORT') === undefined) return undefined;
  return { host, port: r.integer('CARILLON_METRICS_PORT', 0, 0, 65_535) };
}

/**
 * Reads the console's flags and environment, validated once and frozen.
 *
 * @throws CarillonError `CARILLON_INVALID_CONFIG` naming every bad flag and variable.
 */
export function readConsoleConfig(env: Env, args: readonly string[] = []): ConsoleConfig {
  const r = new EnvReader(env);
  const password = adminPassword(r);
  const config: ConsoleConfig = {
    ...common(r, readFlags(args, LOG_FLAG, r)),
    httpHost: r.string('CARILLON_HTTP_HOST', '127.0.0.1'),
    httpPort: r.integer('CARILLON_HTTP_PORT', 7700, 0, 65_535),
    admin:
      password === undefined
        ? undefined
        : { username: r.string('CARILLON_ADMIN_USER', 'admin'), password },
    smtp: smtpSettings(r),
  };
  r.done();
  return Object.freeze(config);
}

/**
 * Reads `carillon dev`'s flags (which override the variables of the same meaning).
 *
 * @throws CarillonError `CARILLON_INVALID_CONFIG` naming every bad flag and variable.
 */
export function readDevConfig(env: Env, args: readonly string[]): DevConfig {
  const r = new EnvReader(env);
  const flags = readFlags(
    args,
    {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'rpc-port': { type: 'string' },
      'log-level': { type: 'string' },
    },
    r,
  );
  const text = (flag: string): string | undefined => {
    const value = flags[flag];
    return typeof value === 'string' ? value : undefined;
  };
  const port = (flag: string, variable: string, fallback: number): number => {
    const given = text(flag);
    return given === undefined
      ? r.integer(variable, fallback, 0, 65_535)
      : r.integerValue(`--${flag}`, given, fallback, 0, 65_535);
  };
  const flagLevel = text('log-level');
  const logLevel = flagLevel ?? r.string('CARILLON_LOG_LEVEL', 'info');
  checkLogLevel(r, flagLevel === undefined ? 'CARILLON_LOG_LEVEL' : '--log-level', logLevel);
  const dataDir = text('data-dir') ?? './.carillon';
  if (dataDir === '') r.problem('--data-dir must name a directory');
  const config: DevConfig = {
    dataDir,
    httpPort: port('port', 'CARILLON_HTTP_PORT', 7700),
    rpcPort: port('rpc-port', 'CARILLON_RPC_PORT', 7701),
    logLevel,
    adminPassword: adminPassword(r),
  };
  r.done();
  return Object.freeze(config);
}
