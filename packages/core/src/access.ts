/** A user's right on one task group. Each includes the ones after it. */
export const GroupRole = { Owner: 'owner', Editor: 'editor', Viewer: 'viewer' } as const;
export type GroupRole = (typeof GroupRole)[keyof typeof GroupRole];

const RANK: Readonly<Record<GroupRole, number>> = { owner: 3, editor: 2, viewer: 1 };

/** True when `held` is at least `needed`. */
export function roleAllows(held: GroupRole, needed: GroupRole): boolean {
  return RANK[held] >= RANK[needed];
}

/** A user of the console. */
export interface User {
  readonly id: number;
  readonly username: string;
  readonly isAdmin: boolean;
  readonly createdAt: number;
}

/** A task group as stored. `id` is the four-segment id. */
export interface TaskGroup {
  readonly id: string;
  readonly cluster: number;
  readonly serverGroup: number;
  readonly backups: number;
  readonly number: number;
  readonly name: string;
  readonly createdAt: number;
}

/** What an API token lets its bearer do. */
export const TokenKind = {
  /** Acts as the user who made it. */
  User: 'user',
  /** Lets a client (executor) of one task group connect. */
  Client: 'client',
} as const;
export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/** An API token as stored: only the hash of the secret is kept. */
export interface ApiToken {
  readonly id: number;
  readonly kind: TokenKind;
  readonly userId: number | null;
  readonly groupId: string | null;
  readonly name: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

/** One audited change. */
export interface AuditEvent {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly detail: string | null;
}

/** A server of a ServerGroup, as recorded in the database (membership lives in the coordinator). */
export interface ServerRecord {
  readonly id: string;
  readonly cluster: number;
  readonly serverGroup: number;
  readonly room: string;
  readonly rpcAddress: string;
  readonly lastSeenAt: number;
}
