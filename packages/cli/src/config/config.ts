import { hostname } from 'node:os';
import { EnvReader } from './env-reader.js';

/** Where the database is and how processes find each other. */
export interface CommonConfig {
  /** `mysql://user:pass@host:port/db` or `sqlite:///abs/path/file.db`. */
  readonly dbUrl: string;
  readonly cluster: number;
  readonly serverGroups: readonly number[];
  readonly logLevel: string;
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
}

/** Settings of a console process. */
export interface ConsoleConfig extends CommonConfig {
  readonly httpHost: string;
  readonly httpPort: number;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

function common(r: EnvReader, defaultDbUrl: string | undefined): CommonConfig {
  const dbUrl = r.optional('CARILLON_DB_URL') ?? defaultDbUrl;
  if (dbUrl === undefined)
    r.problem(
      'CARILLON_DB_URL is required, e.g. mysql://root@127.0.0.1:3306/carillon or sqlite:///var/lib/carillon/carillon.db',
    );
  else if (!/^(mysql|sqlite):/.test(dbUrl))
    r.problem(`CARILLON_DB_URL must start with mysql:// or sqlite://, got "${dbUrl}"`);
  const groups = r
    .string('CARILLON_SERVER_GROUPS', '1')
    .split(',')
    .map((s) => Number(s.trim()));
  if (groups.some((g) => !Number.isSafeInteger(g) || g < 1))
    r.problem('CARILLON_SERVER_GROUPS must be positive integers separated by commas');
  const logLevel = r.string('CARILLON_LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel))
    r.problem(`CARILLON_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  return {
    dbUrl: dbUrl ?? '',
    cluster: r.integer('CARILLON_CLUSTER', 101, 1, 999_999_999),
    serverGroups: groups,
    logLevel,
  };
}

/**
 * Reads the settings every process shares (database, cluster, logging).
 *
 * @throws CarillonError `CARILLON_INVALID_CONFIG` naming every bad variable.
 */
export function readCommonConfig(env: Readonly<Record<string, string | undefined>>): CommonConfig {
  const r = new EnvReader(env);
  const config = common(r, undefined);
  r.done();
  return Object.freeze(config);
}

/**
 * Reads the server's settings from the environment, validated once and frozen.
 *
 * @throws CarillonError `CARILLON_INVALID_CONFIG` naming every bad variable.
 */
export function readServerConfig(
  env: Readonly<Record<string, string | undefined>>,
  defaultDbUrl?: string,
): ServerConfig {
  const r = new EnvReader(env);
  const base = common(r, defaultDbUrl);
  const config: ServerConfig = {
    ...base,
    serverId: r.string(
      'CARILLON_SERVER_ID',
      `${hostname()}-${r.string('CARILLON_RPC_PORT', '7701')}`,
    ),
    serverGroup: r.integer('CARILLON_SERVER_GROUP', base.serverGroups[0] ?? 1, 1, 999_999_999),
    room: r.string('CARILLON_ROOM', 'default'),
    rpcHost: r.string('CARILLON_RPC_HOST', '127.0.0.1'),
    rpcPort: r.integer('CARILLON_RPC_PORT', 7701, 0, 65_535),
    rpcAdvertisedAddress: r.optional('CARILLON_RPC_ADVERTISED_ADDRESS'),
    leadMs: r.integer('CARILLON_LEAD_MS', 300, 0, 60_000),
  };
  r.done();
  return Object.freeze(config);
}

/**
 * Reads the console's settings from the environment, validated once and frozen.
 *
 * @throws CarillonError `CARILLON_INVALID_CONFIG` naming every bad variable.
 */
export function readConsoleConfig(
  env: Readonly<Record<string, string | undefined>>,
  defaultDbUrl?: string,
): ConsoleConfig {
  const r = new EnvReader(env);
  const config: ConsoleConfig = {
    ...common(r, defaultDbUrl),
    httpHost: r.string('CARILLON_HTTP_HOST', '127.0.0.1'),
    httpPort: r.integer('CARILLON_HTTP_PORT', 7700, 0, 65_535),
  };
  r.done();
  return Object.freeze(config);
}
