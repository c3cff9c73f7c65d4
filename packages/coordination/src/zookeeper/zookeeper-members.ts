import type { ClientMember, ServerMember } from '@carillon/core';
import { createEphemeral } from './ephemeral.js';
import { mkdirp } from './zk-calls.js';
import type { SessionHandle } from './zookeeper-election.js';

/**
 * The members this process registered, kept so that a new session can register every one of them
 * again, and their ephemeral nodes: `servers/<serverId>` and
 * `clients/<group>/<clientId>@<serverId>` under the cluster's base path.
 */
export class RegisteredMembers {
  readonly #base: string;
  /** How long a node left by this process's previous session may stay taken. */
  readonly #waitForOtherOwnerMs: () => number;
  readonly #servers = new Map<string, ServerMember>();
  readonly #clients = new Map<string, ClientMember>();

  constructor(base: string, waitForOtherOwnerMs: () => number) {
    this.#base = base;
    this.#waitForOtherOwnerMs = waitForOtherOwnerMs;
  }

  async putServer(session: SessionHandle, member: ServerMember): Promise<void> {
    this.#servers.set(member.serverId, member);
    await this.#putServer(session, member);
  }

  async putClient(session: SessionHandle, member: ClientMember): Promise<void> {
    this.#clients.set(this.clientPath(member), member);
    await this.#putClient(session, member);
  }

  /** Forgets the client; returns its node's path, for the caller to remove. */
  forgetClient(m: { groupId: string; clientId: string; serverId: string }): string {
    const path = this.clientPath(m);
    this.#clients.delete(path);
    return path;
  }

  /** Registers every remembered member on a new session (the old one's nodes went with it). */
  async putAll(session: SessionHandle): Promise<void> {
    for (const member of this.#servers.values()) await this.#putServer(session, member);
    for (const member of this.#clients.values()) await this.#putClient(session, member);
  }

  clear(): void {
    this.#servers.clear();
    this.#clients.clear();
  }

  clientPath(m: { groupId: string; clientId: string; serverId: string }): string {
    const name = `${encodeURIComponent(m.clientId)}@${encodeURIComponent(m.serverId)}`;
    return `${this.#base}/clients/${encodeURIComponent(m.groupId)}/${name}`;
  }

  async #putServer(session: SessionHandle, member: ServerMember): Promise<void> {
    await createEphemeral(
      session.client,
      `${this.#base}/servers/${encodeURIComponent(member.serverId)}`,
      Buffer.from(JSON.stringify(member)),
      this.#waitForOtherOwnerMs(),
      session.acls,
    );
  }

  async #putClient(session: SessionHandle, member: ClientMember): Promise<void> {
    const path = this.clientPath(member);
    await mkdirp(session.client, path.slice(0, path.lastIndexOf('/')), session.acls);
    await createEphemeral(
      session.client,
      path,
      Buffer.from(JSON.stringify(member)),
      this.#waitForOtherOwnerMs(),
      session.acls,
    );
  }
}
