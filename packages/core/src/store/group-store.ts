import type { GroupRole, TaskGroup } from '../access.js';

export interface NewTaskGroup {
  readonly cluster: number;
  readonly serverGroup: number;
  readonly backups: number;
  readonly name: string;
}

/** Task groups and who may do what in them. */
export interface GroupStore {
  /**
   * Creates a group with the next free number of its cluster (the first is 1). A number is
   * never handed out twice, not even after its group was deleted.
   */
  create(group: NewTaskGroup, nowMs: number): Promise<TaskGroup>;
  get(id: string): Promise<TaskGroup | undefined>;
  list(): Promise<readonly TaskGroup[]>;
  /**
   * Deletes the group, its permissions and its client tokens; false if it did not exist.
   *
   * @throws CarillonError `CARILLON_CONFLICT` while jobs (even deleted ones) belong to it.
   */
  delete(id: string): Promise<boolean>;
  /** Sets a user's role on a group (replacing any other). */
  grant(groupId: string, userId: number, role: GroupRole): Promise<void>;
  revoke(groupId: string, userId: number): Promise<void>;
  /** The user's role on the group, if any. */
  roleOf(groupId: string, userId: number): Promise<GroupRole | undefined>;
  /** Every group the user has a role on, with the role. */
  rolesOf(userId: number): Promise<ReadonlyMap<string, GroupRole>>;
}
