import type { ServerRecord } from '../access.js';

/**
 * A server's heartbeat as the database stamped it, on the database's own clock (ms epoch): the
 * one clock every server's beats are compared on, whatever each server host's clock says.
 */
export interface ServerBeat {
  readonly id: string;
  /** When the server's latest beat landed. */
  readonly lastSeenAt: number;
  /**
   * When its current unbroken run of beats began: reset to the beat's own stamp when the gap
   * since the previous beat exceeded the `breakMs` that beat was written with (the server, or
   * the database, stalled; see {@link ServerStore.beat}).
   */
  readonly beatingSince: number;
}

/** Servers as last seen, for holder assignment and the console. Liveness is the coordinator's. */
export interface ServerStore {
  upsert(server: ServerRecord): Promise<void>;
  list(cluster: number, serverGroup?: number): Promise<readonly ServerRecord[]>;
  get(id: string): Promise<ServerRecord | undefined>;
  /**
   * Stamps the server's heartbeat with the database's clock, one statement. A beat that lands
   * more than `breakMs` after the previous one (or before it: the database's clock stepped
   * back, or the record was written from a server's clock ahead of it) starts a new run
   * (`beatingSince`). Returns false when the server has no record yet (nothing written).
   */
  beat(id: string, breakMs: number): Promise<boolean>;
  /** The heartbeats of a ServerGroup's servers, as the database stamped them. */
  beats(cluster: number, serverGroup: number): Promise<readonly ServerBeat[]>;
}
