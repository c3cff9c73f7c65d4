import type { ServerRecord } from '../access.js';

/** Servers as last seen, for holder assignment and the console. Liveness is the coordinator's. */
export interface ServerStore {
  upsert(server: ServerRecord): Promise<void>;
  list(cluster: number, serverGroup?: number): Promise<readonly ServerRecord[]>;
  get(id: string): Promise<ServerRecord | undefined>;
}
