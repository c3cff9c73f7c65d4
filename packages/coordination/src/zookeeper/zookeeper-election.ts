import { randomUUID } from 'node:crypto';
import type { Leadership } from '@carillon/core';
import type { ACL, Client } from 'node-zookeeper-client';
import zookeeper from 'node-zookeeper-client';
import { CoordinationErrorCode, coordinationError } from '../errors.js';
import { create, exists, getChildren, mkdirp, removeIfPresent } from './zk-calls.js';

/** One session of the coordinator, numbered so that work tied to an old one can tell. */
export interface SessionHandle {
  readonly client: Client;
  readonly epoch: number;
  /** The ACL of every node the session creates (see `ZooKeeperCoordinatorOptions.auth`). */
  readonly acls: ACL[];
}

/** What a campaign needs from its coordinator. */
export interface ElectionHost {
  /** Resolves with the current session once it is connected; rejects once stopped. */
  ready(): Promise<SessionHandle>;
  /** Resolves at the next change of session state (connected, suspended, lost, stopped). */
  nextChange(): Promise<void>;
  /** A campaign that won is told here; the host ends it on suspension, loss or stop. */
  won(campaign: ElectionCampaign): void;
  ended(campaign: ElectionCampaign): void;
}

const SEQUENCE_DIGITS = 10;

/**
 * One campaign for a role, by ZooKeeper's recipe: an ephemeral sequential node under
 * `election/<role>`; the lowest sequence leads; every other watches only the node just before its
 * own (no herd). The node's name carries a random id so that a create whose reply was lost to a
 * dropped connection is found again instead of leaving a second node behind.
 */
export class ElectionCampaign {
  readonly role: string;
  readonly #dir: string;
  readonly #host: ElectionHost;
  readonly #tag = randomUUID();
  #node: { path: string; epoch: number } | undefined;
  #ended = false;
  #won = false;
  #onLost: () => void = () => undefined;
  readonly #lost: Promise<void>;

  constructor(role: string, dir: string, host: ElectionHost) {
    this.role = role;
    this.#dir = dir;
    this.#host = host;
    this.#lost = new Promise((resolve) => (this.#onLost = resolve));
  }

  /** Resolves with the leadership once won; rejects when the coordinator stops first. */
  async run(): Promise<Leadership> {
    for (;;) {
      if (this.#ended) throw notStarted();
      const session = await this.#host.ready();
      try {
        if (await this.#leads(session)) break;
      } catch (error) {
        // A dropped connection or a new session: look again once the session settles.
        if (zkCode(error) === undefined) throw error;
        await this.#host.nextChange();
      }
    }
    this.#won = true;
    this.#host.won(this);
    return { role: this.role, lost: this.#lost, release: () => this.end() };
  }

  /** True from winning until the role is given up or lost. */
  get leads(): boolean {
    return this.#won && !this.#ended;
  }

  /** Gives up the role or the campaign: resolves `lost`, deletes the node when it can. */
  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#onLost();
    this.#host.ended(this);
    const node = this.#node;
    if (node === undefined) return;
    // A suspended session may come back with this node still in place, and it would keep the
    // role from everyone else: delete it once the same session answers again.
    for (;;) {
      let session: SessionHandle;
      try {
        session = await this.#host.ready();
      } catch {
        return;
      }
      if (session.epoch !== node.epoch) return;
      try {
        await removeIfPresent(session.client, node.path);
        return;
      } catch {
        await this.#host.nextChange();
      }
    }
  }

  async #leads(session: SessionHandle): Promise<boolean> {
    const { client, epoch } = session;
    if (this.#node?.epoch !== epoch) this.#node = undefined;
    await mkdirp(client, this.#dir, session.acls);
    let children = await getChildren(client, this.#dir);
    const node = this.#node ?? { path: await this.#ownNode(session, children), epoch };
    this.#node = node;
    if (!children.includes(basename(node.path))) children = await getChildren(client, this.#dir);
    const ordered = children.sort((a, b) => (sequence(a) < sequence(b) ? -1 : 1));
    const index = ordered.indexOf(basename(node.path));
    if (index === -1) {
      this.#node = undefined;
      return false;
    }
    if (index === 0) return true;
    const before = `${this.#dir}/${ordered[index - 1] ?? ''}`;
    const change = this.#host.nextChange();
    await new Promise<void>((resolve, reject) => {
      exists(client, before, () => resolve()).then((stat) => {
        if (stat === undefined) resolve();
      }, reject);
      void change.then(() => resolve());
    });
    return false;
  }

  async #ownNode(session: SessionHandle, children: readonly string[]): Promise<string> {
    const mine = children.find((c) => c.startsWith(this.#tag));
    if (mine !== undefined) return `${this.#dir}/${mine}`;
    return create(
      session.client,
      `${this.#dir}/${this.#tag}-n_`,
      Buffer.alloc(0),
      zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
      session.acls,
    );
  }
}

function sequence(name: string): string {
  return name.slice(-SEQUENCE_DIGITS);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function zkCode(error: unknown): number | undefined {
  return error instanceof zookeeper.Exception ? error.getCode() : undefined;
}

function notStarted(): Error {
  return coordinationError(CoordinationErrorCode.NotStarted, 'the coordinator stopped');
}
