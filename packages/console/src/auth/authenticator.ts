import type { FastifyRequest } from 'fastify';
import type { UserStore } from '@carillon/core';
import { forbidden, unauthenticated } from '../errors.js';
import type { Principal } from './principal.js';
import { hashTokenSecret } from '@carillon/core';

// base64url of 32 bytes is 43 characters; allow some room for other token formats later.
const BEARER = /^Bearer ([A-Za-z0-9_-]{16,256})$/;

/**
 * Resolves `Authorization: Bearer <token>` to a {@link Principal} and remembers it for the
 * request. Tokens are looked up by their SHA-256; revoked ones are not found.
 */
export class Authenticator {
  readonly #users: UserStore;
  readonly #principals = new WeakMap<FastifyRequest, Principal>();

  constructor(users: UserStore) {
    this.#users = users;
  }

  /**
   * Authenticates the request and remembers the principal.
   *
   * @throws CarillonError `CARILLON_UNAUTHENTICATED` when the header is missing or malformed, or
   *   the token is unknown or revoked, or its user is gone.
   */
  async authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw unauthenticated('missing Authorization header: send "Authorization: Bearer <token>"');
    }
    const match = BEARER.exec(header);
    if (match === null)
      throw unauthenticated('malformed Authorization header: expected "Bearer <token>"');
    const token = await this.#users.findToken(hashTokenSecret(match[1] ?? ''));
    if (token === undefined) throw unauthenticated('unknown or revoked token');
    let principal: Principal;
    if (token.kind === 'user') {
      const user = token.userId === null ? undefined : await this.#users.get(token.userId);
      if (user === undefined) throw unauthenticated('unknown or revoked token');
      principal = { kind: 'user', user, tokenId: token.id };
    } else {
      if (token.groupId === null) throw unauthenticated('unknown or revoked token');
      principal = { kind: 'client', groupId: token.groupId, tokenId: token.id };
    }
    this.#principals.set(request, principal);
    return principal;
  }

  /**
   * The principal of an authenticated request.
   *
   * @throws CarillonError `CARILLON_UNAUTHENTICATED` if the request was not authenticated.
   */
  principalOf(request: FastifyRequest): Principal {
    const principal = this.#principals.get(request);
    if (principal === undefined) throw unauthenticated('not authenticated');
    return principal;
  }

  /**
   * The user making an authenticated request.
   *
   * @throws CarillonError `CARILLON_UNAUTHENTICATED` if the request was not authenticated;
   *   `CARILLON_FORBIDDEN` if it carries a client token (those only serve discovery).
   */
  userOf(request: FastifyRequest): Extract<Principal, { kind: 'user' }> {
    const principal = this.principalOf(request);
    if (principal.kind !== 'user') {
      throw forbidden('forbidden: a client token may only be used for discovery');
    }
    return principal;
  }
}
