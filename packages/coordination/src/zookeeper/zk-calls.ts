import type { ACL, Client, Event, Stat } from 'node-zookeeper-client';
import zookeeper from 'node-zookeeper-client';

// Promise forms of the callback API of node-zookeeper-client, for one client (one session).

/** The ZooKeeper error code of `error`, or undefined when it is not a ZooKeeper exception. */
export function zkCode(error: unknown): number | undefined {
  return error instanceof zookeeper.Exception ? error.getCode() : undefined;
}

/** True for "the node does not exist". */
export const isNoNode = (error: unknown): boolean => zkCode(error) === zookeeper.Exception.NO_NODE;

/** True for "the node already exists". */
export const isNodeExists = (error: unknown): boolean =>
  zkCode(error) === zookeeper.Exception.NODE_EXISTS;

type Watcher = (event: Event) => void;

// The library's Exception inherits from Error at run time; its typings do not say so.
function asError(error: unknown): Error {
  return error as Error;
}

/** Every permission to anyone: ZooKeeper's OPEN_ACL_UNSAFE, for a layout without credentials. */
export const OPEN_TO_ANYONE: ACL[] = [
  new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('world', 'anyone')),
];

/** Every permission to the creating session's credentials only: CREATOR_ALL_ACL. */
export const CREATOR_ONLY: ACL[] = [
  new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('auth', '')),
];

/** True for "this session's credentials may not do that" (the node's ACL). */
export const isNoAuth = (error: unknown): boolean => zkCode(error) === zookeeper.Exception.NO_AUTH;

/**
 * Creates `path` with `data` in `mode` and `acls`; resolves with the created path (sequential
 * names).
 */
export function create(
  client: Client,
  path: string,
  data: Buffer,
  mode: number,
  acls: ACL[],
): Promise<string> {
  return new Promise((resolve, reject) =>
    client.create(path, data, acls, mode, (error, created) =>
      error ? reject(asError(error)) : resolve(created),
    ),
  );
}

/** Creates `path` and its missing parents as persistent nodes with `acls`. */
export function mkdirp(client: Client, path: string, acls: ACL[]): Promise<void> {
  return new Promise((resolve, reject) =>
    client.mkdirp(path, acls, (error) => (error ? reject(asError(error)) : resolve())),
  );
}

/** The ACL of `path`. */
export function getAcl(client: Client, path: string): Promise<ACL[]> {
  return new Promise((resolve, reject) =>
    client.getACL(path, (error, acls) => (error ? reject(asError(error)) : resolve(acls))),
  );
}

/** Sets the ACL of `path` (any version). */
export function setAcl(client: Client, path: string, acls: ACL[]): Promise<void> {
  return new Promise((resolve, reject) =>
    client.setACL(path, acls, -1, (error) => (error ? reject(asError(error)) : resolve())),
  );
}

/** Deletes `path` (any version); a missing node is not an error. */
export function removeIfPresent(client: Client, path: string): Promise<void> {
  return new Promise((resolve, reject) =>
    client.remove(path, -1, (error) =>
      error && !isNoNode(error) ? reject(asError(error)) : resolve(),
    ),
  );
}

/** The children of `path`, with a one-shot watch when `watcher` is given. */
export function getChildren(client: Client, path: string, watcher?: Watcher): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const done = (error: unknown, children: string[]): void =>
      error ? reject(asError(error)) : resolve(children);
    if (watcher === undefined) client.getChildren(path, done);
    else client.getChildren(path, watcher, done);
  });
}

/** The data and stat of `path`, with a one-shot watch when `watcher` is given. */
export function getData(
  client: Client,
  path: string,
  watcher?: Watcher,
): Promise<{ data: Buffer | undefined; stat: Stat }> {
  return new Promise((resolve, reject) => {
    const done = (error: unknown, data: Buffer | undefined, stat: Stat): void =>
      error ? reject(asError(error)) : resolve({ data: data ?? undefined, stat });
    if (watcher === undefined) client.getData(path, done);
    else client.getData(path, watcher, done);
  });
}

/** Sets the data of `path` (any version). */
export function setData(client: Client, path: string, data: Buffer): Promise<Stat> {
  return new Promise((resolve, reject) =>
    client.setData(path, data, -1, (error, stat) =>
      error ? reject(asError(error)) : resolve(stat),
    ),
  );
}

/** The stat of `path` or undefined, with a one-shot watch when `watcher` is given. */
export function exists(client: Client, path: string, watcher?: Watcher): Promise<Stat | undefined> {
  return new Promise((resolve, reject) => {
    const done = (error: unknown, stat: Stat | undefined): void =>
      error ? reject(asError(error)) : resolve(stat ?? undefined);
    if (watcher === undefined) client.exists(path, done);
    else client.exists(path, watcher, done);
  });
}

/** The JSON data of every child of `dir` (a child gone meanwhile is skipped), by name. */
export async function readMembers<T>(
  client: Client,
  dir: string,
  missingIsEmpty: boolean,
): Promise<T[]> {
  let names: string[];
  try {
    names = await getChildren(client, dir);
  } catch (error) {
    if (missingIsEmpty && isNoNode(error)) return [];
    throw error;
  }
  const members: T[] = [];
  for (const name of names.sort()) {
    try {
      const { data } = await getData(client, `${dir}/${name}`);
      if (data !== undefined) members.push(JSON.parse(data.toString('utf8')) as T);
    } catch (error) {
      if (!isNoNode(error)) throw error;
    }
  }
  return members;
}

/** Bumps the version of the persistent node `path`, creating it (with `acls`) when missing. */
export async function bump(client: Client, path: string, acls: ACL[]): Promise<void> {
  try {
    await setData(client, path, Buffer.alloc(0));
  } catch (error) {
    if (!isNoNode(error)) throw error;
    try {
      await create(client, path, Buffer.alloc(0), zookeeper.CreateMode.PERSISTENT, acls);
    } catch (again) {
      if (!isNodeExists(again)) throw again;
      await setData(client, path, Buffer.alloc(0));
    }
  }
}
