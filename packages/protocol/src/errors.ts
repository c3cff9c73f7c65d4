import { CarillonError } from '@carillon/core';

/**
 * The protocol's error catalog. Codes are stable: servers, the SDK and tests branch on them,
 * never on message text. Every error is a {@link CarillonError}; `details` name the message kind
 * and the proto field at fault (`details.field`, e.g. `result.at_ms`).
 */
export const ProtocolErrorCode = {
  /**
   * A received message breaks the contract: a required field missing, a number out of range, an
   * unknown enum value. Returned by the decoders and reported by connections as `malformed`;
   * the receiver drops the message (a server may also end the stream).
   */
  Malformed: 'CARILLON_PROTOCOL_MALFORMED',
  /**
   * A received ClientMessage or ServerMessage carries no payload this version knows: an empty
   * message, or a kind added by a newer peer. Receivers ignore it, so adding kinds stays
   * compatible.
   */
  UnknownMessage: 'CARILLON_PROTOCOL_UNKNOWN_MESSAGE',
  /**
   * This process tried to send a message that breaks the contract (a bug in the caller: the
   * peer would reject it). Thrown by the encoders and `send`.
   */
  InvalidOutgoing: 'CARILLON_PROTOCOL_INVALID_OUTGOING',
  /** The `.proto` file could not be read or parsed (a broken installation). */
  ProtoUnavailable: 'CARILLON_PROTOCOL_PROTO_UNAVAILABLE',
  /**
   * A server could not listen on its address (in use, not permitted); `details.address` names
   * it. A configuration problem, not a bug.
   */
  ListenFailed: 'CARILLON_PROTOCOL_LISTEN_FAILED',
} as const;

/** One of the {@link ProtocolErrorCode} values. */
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/**
 * The outcome of decoding one received message: the domain message, or the reason it was
 * rejected. Rejection is an expected outcome (peers can be buggy or newer), so it is a value,
 * not an exception.
 */
export type Decoded<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly error: CarillonError };

/** Builds a protocol error naming the message kind and the proto field at fault. */
export function protocolError(
  code: ProtocolErrorCode,
  field: string,
  reason: string,
  cause?: unknown,
): CarillonError {
  return new CarillonError(code, `${field}: ${reason}`, {
    details: { field, reason },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Runs a decoder that throws protocol errors and returns its outcome as a {@link Decoded}.
 * Anything else a hostile message provokes (a null where an object was expected) is still the
 * peer's fault, so it becomes `Malformed` too: decoding never crashes the receiver.
 */
export function decodeSafely<T>(decode: () => T): Decoded<T> {
  try {
    return { ok: true, message: decode() };
  } catch (error) {
    if (error instanceof CarillonError && error.code.startsWith('CARILLON_PROTOCOL_')) {
      return { ok: false, error };
    }
    return {
      ok: false,
      error: protocolError(ProtocolErrorCode.Malformed, 'payload', 'cannot be read', error),
    };
  }
}
