/**
 * The protocol version this package speaks, sent in Hello and Welcome (`protocol_version`).
 * Within one version, fields and message kinds are only ever added; a change that older peers
 * would misread takes a new version.
 */
export const PROTOCOL_VERSION = 1;

/** The oldest protocol version this package still speaks. */
export const MIN_PROTOCOL_VERSION = 1;

/**
 * The version a server speaks with a client that offered `clientVersion`: the highest both know,
 * or undefined when they share none (answer HelloRejected `unsupported_protocol`).
 *
 * @example negotiateProtocolVersion(hello.protocolVersion) ?? reject('unsupported_protocol')
 */
export function negotiateProtocolVersion(clientVersion: number): number | undefined {
  const version = Math.min(clientVersion, PROTOCOL_VERSION);
  return Number.isInteger(version) && version >= MIN_PROTOCOL_VERSION ? version : undefined;
}
