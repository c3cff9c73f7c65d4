import { hashTokenSecret } from '@carillon/core';
import type { Stores } from '@carillon/core';
import type { ClientMessage, Hello, HelloRejectCode } from '@carillon/protocol';
import { PROTOCOL_VERSION, negotiateProtocolVersion } from '@carillon/protocol';

/** Why a stream's first message is refused. */
export interface HelloProblem {
  readonly code: HelloRejectCode;
  readonly text: string;
}

/** A hello that may open a stream: the protocol version both speak and the token's hash. */
export interface HelloAccepted {
  readonly hello: Hello;
  readonly version: number;
  readonly tokenHash: string;
}

/**
 * Checks a stream's first message against the store: a hello, of a protocol version this
 * server speaks, with a client token of its task group, a group this server's ServerGroup
 * schedules. Only the store is read; the caller decides what the stream becomes.
 */
export async function checkHello(
  message: ClientMessage,
  stores: Stores,
  place: { readonly cluster: number; readonly serverGroup: number },
): Promise<HelloProblem | HelloAccepted> {
  if (message.kind !== 'hello')
    return { code: 'invalid_hello', text: 'the first message must be a hello' };
  const version = negotiateProtocolVersion(message.protocolVersion);
  if (version === undefined)
    return {
      code: 'unsupported_protocol',
      text: `protocol ${message.protocolVersion} is not supported; this server speaks ${PROTOCOL_VERSION}`,
    };
  const tokenHash = hashTokenSecret(message.token);
  const token = await stores.users.findToken(tokenHash);
  if (token === undefined || token.kind !== 'client' || token.groupId !== message.groupId) {
    return {
      code: 'unauthenticated',
      text: 'the token is not a valid client token of this task group',
    };
  }
  const group = await stores.groups.get(message.groupId);
  if (group === undefined)
    return { code: 'unknown_group', text: `no task group ${message.groupId}` };
  if (group.cluster !== place.cluster || group.serverGroup !== place.serverGroup) {
    return {
      code: 'wrong_server_group',
      text: `task group ${message.groupId} is scheduled by ServerGroup ${group.serverGroup} of cluster ${group.cluster}`,
    };
  }
  return { hello: message, version, tokenHash };
}
