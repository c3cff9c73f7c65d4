import type { User } from '@carillon/core';

/** How a user's request proved who it is. */
export type Credential =
  | { readonly kind: 'token'; readonly tokenId: number }
  | { readonly kind: 'session'; readonly sessionId: number; readonly viaCookie: boolean };

/** Who is calling: a user (by a user token or a session) or a client of one task group. */
export type Principal =
  | { readonly kind: 'user'; readonly user: User; readonly credential: Credential }
  | { readonly kind: 'client'; readonly groupId: string; readonly tokenId: number };

/** How audit rows name a user. */
export function actorOf(user: User): string {
  return `user:${user.username}`;
}
