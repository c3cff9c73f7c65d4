/** A server as its peers see it through the coordinator. */
export interface ServerMember {
  readonly serverId: string;
  readonly cluster: number;
  readonly serverGroup: number;
  readonly room: string;
  readonly rpcAddress: string;
}

/** A client connection, published by the server that holds the stream. */
export interface ClientMember {
  readonly clientId: string;
  readonly groupId: string;
  readonly serverId: string;
  readonly handlers: readonly string[];
  readonly room: string;
  /**
   * Slots lost to hung handlers (running on after their signal aborted), by handler, as the
   * client last reported them; absent or empty when none.
   */
  readonly hungSlots?: Readonly<Record<string, number>>;
}

/**
 * Where this process stands with the coordinator:
 * - `connected`: may claim and dispatch;
 * - `suspended`: disconnected for about the session timeout, may be partitioned: stop claiming
 *   and dispatching at once, keep state, wait;
 * - `lost`: the session expired; every ephemeral registration is gone and must be made again;
 * - `stopped`: after `stop()`.
 */
export const SessionState = {
  Connected: 'connected',
  Suspended: 'suspended',
  Lost: 'lost',
  Stopped: 'stopped',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** Calls to undo a watch. */
export type Unsubscribe = () => void;

/** A role won in an election, held until released or the session is lost. */
export interface Leadership {
  readonly role: string;
  /** Resolves when leadership is lost (session lost, or released). */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/**
 * Sessions, membership, election and change notices. ZooKeeper in production; an in-process
 * implementation for `carillon dev` and unit tests. Holds no job data: that is the database's.
 */
export interface Coordinator {
  readonly state: SessionState;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Calls `listener` on every change of `state`. */
  onStateChange(listener: (state: SessionState) => void): Unsubscribe;

  /** Registers this server (ephemeral: gone with its session). */
  registerServer(member: ServerMember): Promise<void>;
  /** The live servers of a ServerGroup. */
  listServers(cluster: number, serverGroup: number): Promise<readonly ServerMember[]>;
  /** Calls `listener` with the live servers of the ServerGroup whenever they change. */
  watchServers(
    cluster: number,
    serverGroup: number,
    listener: (servers: readonly ServerMember[]) => void,
  ): Unsubscribe;

  /** Publishes a client connection (ephemeral, under the holding server's session). */
  registerClient(member: ClientMember): Promise<void>;
  unregisterClient(groupId: string, clientId: string, serverId: string): Promise<void>;
  listClients(groupId: string): Promise<readonly ClientMember[]>;

  /** Tells every server that the group's jobs changed (consoles call it after a change). */
  notifyGroupChanged(groupId: string): Promise<void>;
  /** Calls `listener` with the group id whenever a group's jobs change. */
  watchGroupChanges(listener: (groupId: string) => void): Unsubscribe;

  /** Waits until this process leads `role`. */
  campaign(role: string): Promise<Leadership>;
}
