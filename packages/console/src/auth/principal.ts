import type { User } from '@carillon/core';

/** Who is calling: a user (by a user token) or a client of one task group (by a client token). */
export type Principal =
  | { readonly kind: 'user'; readonly user: User; readonly tokenId: number }
  | { readonly kind: 'client'; readonly groupId: string; readonly tokenId: number };

/** How audit rows name a user. */
export function actorOf(user: User): string {
  return `user:${user.username}`;
}
