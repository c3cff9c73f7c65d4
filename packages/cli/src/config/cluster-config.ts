import { BlockList, isIP } from 'node:net';
import { parseConnectionString } from '@carillon/coordination';
import type { EnvReader } from './env-reader.js';

/** A ZooKeeper ensemble to coordinate through (`CARILLON_ZK`). */
export interface ZooKeeperConfig {
  /** `host:port[,host:port...][/chroot]`, checked. */
  readonly connection: string;
  /** The session timeout asked of ZooKeeper (`CARILLON_ZK_SESSION_TIMEOUT_MS`). */
  readonly sessionTimeoutMs: number;
  /** Digest credentials, `user:password` (`CARILLON_ZK_AUTH`); undefined: none. */
  readonly auth?: string;
}

/** One `CIDR=room` rule of `CARILLON_ROOM_RULES`, in the order given. */
export interface RoomRule {
  readonly cidr: string;
  readonly room: string;
}

/**
 * Reads `CARILLON_ZK` (undefined: no shared coordinator) and its session timeout, recording
 * every problem in `r`.
 */
export function readZooKeeper(r: EnvReader): ZooKeeperConfig | undefined {
  const connection = r.optional('CARILLON_ZK');
  const sessionTimeoutMs = r.integer('CARILLON_ZK_SESSION_TIMEOUT_MS', 6_000, 2_000, 60_000);
  const auth = r.optional('CARILLON_ZK_AUTH');
  // The value is a secret: the problem names its shape, never the value.
  if (auth !== undefined && !/^[^:]+:.+$/s.test(auth))
    r.problem('CARILLON_ZK_AUTH must be user:password (ZooKeeper digest credentials)');
  if (auth !== undefined && connection === undefined)
    r.problem('CARILLON_ZK_AUTH is set without CARILLON_ZK');
  if (connection === undefined) return undefined;
  try {
    parseConnectionString(connection);
  } catch (error) {
    r.problem(`CARILLON_ZK: ${(error as Error).message}`);
    return undefined;
  }
  return { connection, sessionTimeoutMs, ...(auth === undefined ? {} : { auth }) };
}

/** Parses `CARILLON_ROOM_RULES` (`10.1.0.0/16=a,10.2.0.0/16=b`), recording every bad rule. */
export function readRoomRules(r: EnvReader): readonly RoomRule[] {
  const raw = r.optional('CARILLON_ROOM_RULES');
  if (raw === undefined) return [];
  const rules: RoomRule[] = [];
  for (const part of raw.split(',')) {
    const [cidr = '', room = '', ...rest] = part.trim().split('=');
    const [address = '', bits = ''] = cidr.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    if (
      rest.length > 0 ||
      room === '' ||
      family === 0 ||
      !/^\d{1,3}$/.test(bits) ||
      Number(bits) > max
    ) {
      r.problem(
        `CARILLON_ROOM_RULES: "${part.trim()}" is not CIDR=room, e.g. 10.1.0.0/16=a,10.2.0.0/16=b`,
      );
      continue;
    }
    rules.push({ cidr, room });
  }
  return rules;
}

/**
 * The room of a server at `address` (an IP, or host:port): `CARILLON_ROOM` when set, else the
 * first rule whose CIDR holds the address, else `default`. Records a problem when rules are given
 * but none matches, since a server silently put in `default` would defeat spreading over rooms.
 */
export function roomOf(
  r: EnvReader,
  explicit: string | undefined,
  rules: readonly RoomRule[],
  address: string,
): string {
  if (explicit !== undefined) return explicit;
  if (rules.length === 0) return 'default';
  const host = hostOf(address);
  const family = isIP(host);
  for (const rule of rules) {
    const [network = '', bits = '0'] = rule.cidr.split('/');
    const list = new BlockList();
    const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(network, Number(bits), type);
    if (family !== 0 && list.check(host, family === 6 ? 'ipv6' : 'ipv4')) return rule.room;
  }
  r.problem(
    `CARILLON_ROOM_RULES: no rule holds the server's address "${host}"; add one or set CARILLON_ROOM`,
  );
  return 'default';
}

function hostOf(address: string): string {
  if (isIP(address) !== 0) return address;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const colon = address.lastIndexOf(':');
  return colon === -1 ? address : address.slice(0, colon);
}
