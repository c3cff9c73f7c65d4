import { CoordinationErrorCode, coordinationError } from '../errors.js';

/** A ZooKeeper connection string split into its servers and its chroot. */
export interface ParsedConnectionString {
  /** `host:port,host:port`, without the chroot. */
  readonly servers: string;
  /** The chroot, e.g. `/carillon`, without a trailing slash; `/carillon` when none is given. */
  readonly root: string;
}

const DEFAULT_ROOT = '/carillon';
const SERVER = /^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Parses `127.0.0.1:2181,127.0.0.1:2182/carillon`. The coordinator applies the chroot itself
 * (creating it when missing) rather than handing it to the client library, which needs the
 * chroot node to exist already.
 *
 * @throws CarillonError `CARILLON_COORDINATION_INVALID_CONNECTION_STRING`
 */
export function parseConnectionString(connection: string): ParsedConnectionString {
  const slash = connection.indexOf('/');
  const servers = slash === -1 ? connection : connection.slice(0, slash);
  const chroot = slash === -1 ? '' : connection.slice(slash).replace(/\/+$/, '');
  const bad = (why: string): never => {
    throw coordinationError(
      CoordinationErrorCode.InvalidConnectionString,
      `ZooKeeper connection string "${connection}": ${why}`,
      undefined,
      { connection },
    );
  };
  const list = servers.split(',');
  if (servers === '' || list.some((s) => !SERVER.test(s))) {
    bad('expected host:port[,host:port...][/chroot]');
  }
  if (
    chroot !== '' &&
    chroot
      .slice(1)
      .split('/')
      .some((s) => !SEGMENT.test(s))
  ) {
    bad('the chroot must be /name[/name...] of letters, digits, ".", "_" and "-"');
  }
  return { servers: list.join(','), root: chroot === '' ? DEFAULT_ROOT : chroot };
}
