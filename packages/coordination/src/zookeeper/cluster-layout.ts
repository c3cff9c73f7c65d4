import type { Logger } from '@carillon/core';
import { CoordinationErrorCode, coordinationError } from '../errors.js';
import type { SessionHandle } from './zookeeper-election.js';
import { CREATOR_ONLY, getAcl, getChildren, isNoAuth, mkdirp, setAcl } from './zk-calls.js';

/** The cluster's directories under its base: `servers` first, the others hold persistent nodes. */
const DIRS = ['servers', 'clients', 'changes', 'election'] as const;

/**
 * The persistent part of a cluster's layout in ZooKeeper (`<chroot>/<cluster>` and its
 * directories), made and checked for each new session. With credentials, the nodes left open to
 * anyone before they were set are closed to them, once per process.
 */
export class ClusterLayout {
  readonly #base: string;
  readonly #auth: string | undefined;
  readonly #logger: Logger;
  #closedToOthers = false;

  constructor(base: string, auth: string | undefined, logger: Logger) {
    this.#base = base;
    this.#auth = auth;
    this.#logger = logger;
  }

  /**
   * Makes the cluster's directories; with credentials, closes those left open to anyone (made
   * before credentials were set) to them. Then reads each, so that a session without access
   * fails here, with a clear error, rather than at its first registration.
   *
   * @throws CarillonError `CARILLON_COORDINATION_ACCESS_DENIED`
   */
  async prepare(session: SessionHandle): Promise<void> {
    const dirs = DIRS.map((d) => `${this.#base}/${d}`);
    let path = this.#base;
    try {
      for (path of dirs) await mkdirp(session.client, path, session.acls);
      if (this.#auth !== undefined && !this.#closedToOthers) {
        // The persistent nodes: the directories, each group's clients/ and changes/ node and
        // each role's election/ node. Ephemeral ones left by others go with their sessions.
        const persistent = [this.#base, ...dirs];
        for (path of dirs.slice(1))
          for (const child of await getChildren(session.client, path))
            persistent.push(`${path}/${child}`);
        for (path of persistent) await this.#closeToOthers(session, path);
        this.#closedToOthers = true;
      }
      for (path of dirs) await getChildren(session.client, path);
    } catch (error) {
      if (!isNoAuth(error)) throw error;
      throw coordinationError(
        CoordinationErrorCode.AccessDenied,
        this.#auth === undefined
          ? `ZooKeeper refused access to ${path}: its nodes were made with credentials; set CARILLON_ZK_AUTH to them`
          : `ZooKeeper refused access to ${path}: its nodes were made with other credentials (or none and then closed); check CARILLON_ZK_AUTH`,
        error,
        { path },
      );
    }
  }

  /** Gives `path`, when it is open to anyone, to this session's credentials alone. */
  async #closeToOthers(session: SessionHandle, path: string): Promise<void> {
    const acls = await getAcl(session.client, path);
    if (!acls.some((a) => a.id.scheme === 'world')) return;
    await setAcl(session.client, path, CREATOR_ONLY);
    this.#logger.warn(
      { path },
      'coordinator: ZooKeeper node was open to anyone; now only to these credentials',
    );
  }
}
