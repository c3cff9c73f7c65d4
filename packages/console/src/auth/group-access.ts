import type { CarillonError, GroupRole, GroupStore, User } from '@carillon/core';
import { roleAllows } from '@carillon/core';
import { forbidden } from '../errors.js';

/**
 * Decides what a user may do in a task group: admins everything; others by their role there
 * (owner ⊇ editor ⊇ viewer). A user without a role gets the same 403 whether the thing asked
 * for exists or not; only callers allowed to see a group learn that something in it is missing.
 */
export class GroupAccess {
  readonly #groups: GroupStore;

  constructor(groups: GroupStore) {
    this.#groups = groups;
  }

  /**
   * Checks that `user` holds at least `needed` on `groupId`, where `groupId` is the group of the
   * thing asked for, or undefined when that thing does not exist.
   *
   * @param missing makes the error for a thing that does not exist (a 404); only admins get it.
   * @throws CarillonError `CARILLON_FORBIDDEN` when the user may not, or (for non-admins) when
   *   the thing does not exist; the error of `missing` for an admin when it does not exist.
   */
  async require(
    user: User,
    groupId: string | undefined,
    needed: GroupRole,
    missing: () => CarillonError,
  ): Promise<void> {
    if (user.isAdmin) {
      if (groupId === undefined) throw missing();
      return;
    }
    if (groupId === undefined) throw forbidden();
    const role = await this.#groups.roleOf(groupId, user.id);
    if (role === undefined) throw forbidden();
    if (!roleAllows(role, needed)) {
      throw forbidden(
        `forbidden: this needs the ${needed} role on task group ${groupId}; you are ${role}`,
      );
    }
  }

  /**
   * Checks a task group by its id: for admins that it exists, for others that they hold
   * `needed` on it.
   */
  async requireGroup(
    user: User,
    groupId: string,
    needed: GroupRole,
    missing: () => CarillonError,
  ): Promise<void> {
    if (user.isAdmin) {
      if ((await this.#groups.get(groupId)) === undefined) throw missing();
      return;
    }
    await this.require(user, groupId, needed, missing);
  }

  /**
   * @throws CarillonError `CARILLON_FORBIDDEN` unless the user is an admin.
   */
  requireAdmin(user: User): void {
    if (!user.isAdmin) throw forbidden('forbidden: this needs an admin');
  }

  /** The user's role on a group (undefined for none; admins hold none unless granted one). */
  roleOf(user: User, groupId: string): Promise<GroupRole | undefined> {
    return this.#groups.roleOf(groupId, user.id);
  }
}
