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
  /** Labels the client declared, for jobs pinned to labels; absent when none. */
  readonly labels?: readonly string[];
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

/**
 * What happened to the session, as it happens (the state says where it stands now):
 * - `connected`: the first session is open;
 * - `disconnected`: the connection dropped; the session may well survive (a leader failover),
 *   so nothing needs to stop yet;
 * - `suspended`: disconnected (or unanswered) for about the session timeout: stop claiming;
 * - `lost`: the session expired (learned on reconnect); a new one is being opened;
 * - `reconnected`: connected again after `suspended` or `lost`; after `lost`, every ephemeral
 *   registration has been made again under the new session before this is reported;
 * - `stopped`: after `stop()`.
 */
export const SessionEvent = {
  Connected: 'connected',
  Disconnected: 'disconnected',
  Suspended: 'suspended',
  Lost: 'lost',
  Reconnected: 'reconnected',
  Stopped: 'stopped',
} as const;
export type SessionEvent = (typeof SessionEvent)[keyof typeof SessionEvent];

/** Calls to undo a watch. */
export type Unsubscribe = () => void;

/**
 * A role won in an election, held until released, the session is lost or suspended (a
 * suspended leader may be partitioned away while a peer takes over), or the coordinator stops.
 */
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
  /** Calls `listener` on every {@link SessionEvent}, including those that keep the state. */
  onSessionEvent(listener: (event: SessionEvent) => void): Unsubscribe;

  /** Registers this server (ephemeral: gone with its session). */
  registerServer(member: ServerMember): Promise<void>;
  /** The live servers of a ServerGroup. */
  listServers(cluster: number, serverGroup: number): Promise<readonly ServerMember[]>;
  /**
   * Calls `listener` with the live servers of the ServerGroup whenever they change. It may also
   * hear a list that changed just before it subscribed (never a stale one after a newer one):
   * treat each call as "this is the list now".
   */
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
  /**
   * Calls `listener` with the group id whenever a group's jobs change. Bumps close together may
   * come as one notice; none is lost, including those made while a session was being renewed.
   */
  watchGroupChanges(listener: (groupId: string) => void): Unsubscribe;

  /**
   * Waits until this process leads `role`. A campaign that is still waiting carries on across a
   * new session; one that has won ends with its {@link Leadership.lost}: campaign again.
   */
  campaign(role: string): Promise<Leadership>;
}
