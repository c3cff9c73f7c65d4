// Original file: proto/carillon/v1/dispatch.proto

/**
 * Why a server refused a Hello. UNAVAILABLE and DUPLICATE_CLIENT are transient: reconnect with
 * backoff. The others stay until the client's configuration changes: reconnect slowly, if at
 * all, and tell the user.
 */
export const HelloRejectCode = {
  HELLO_REJECT_CODE_UNSPECIFIED: 'HELLO_REJECT_CODE_UNSPECIFIED',
  /**
   * The token is wrong, expired or revoked.
   */
  HELLO_REJECT_CODE_UNAUTHENTICATED: 'HELLO_REJECT_CODE_UNAUTHENTICATED',
  /**
   * No task group has this id.
   */
  HELLO_REJECT_CODE_UNKNOWN_GROUP: 'HELLO_REJECT_CODE_UNKNOWN_GROUP',
  /**
   * The task group exists but belongs to another ServerGroup than this server's.
   */
  HELLO_REJECT_CODE_WRONG_SERVER_GROUP: 'HELLO_REJECT_CODE_WRONG_SERVER_GROUP',
  /**
   * The server does not speak the Hello's protocol_version.
   */
  HELLO_REJECT_CODE_UNSUPPORTED_PROTOCOL: 'HELLO_REJECT_CODE_UNSUPPORTED_PROTOCOL',
  /**
   * The Hello is malformed (missing or invalid fields) or was not the first message.
   */
  HELLO_REJECT_CODE_INVALID_HELLO: 'HELLO_REJECT_CODE_INVALID_HELLO',
  /**
   * Another stream with the same client_id is open on this server (often the client's previous
   * stream, not yet seen dead).
   */
  HELLO_REJECT_CODE_DUPLICATE_CLIENT: 'HELLO_REJECT_CODE_DUPLICATE_CLIENT',
  /**
   * The server is starting, stopping, or cut off from its coordinator.
   */
  HELLO_REJECT_CODE_UNAVAILABLE: 'HELLO_REJECT_CODE_UNAVAILABLE',
} as const;

/**
 * Why a server refused a Hello. UNAVAILABLE and DUPLICATE_CLIENT are transient: reconnect with
 * backoff. The others stay until the client's configuration changes: reconnect slowly, if at
 * all, and tell the user.
 */
export type HelloRejectCode =
  | 'HELLO_REJECT_CODE_UNSPECIFIED'
  | 0
  /**
   * The token is wrong, expired or revoked.
   */
  | 'HELLO_REJECT_CODE_UNAUTHENTICATED'
  | 1
  /**
   * No task group has this id.
   */
  | 'HELLO_REJECT_CODE_UNKNOWN_GROUP'
  | 2
  /**
   * The task group exists but belongs to another ServerGroup than this server's.
   */
  | 'HELLO_REJECT_CODE_WRONG_SERVER_GROUP'
  | 3
  /**
   * The server does not speak the Hello's protocol_version.
   */
  | 'HELLO_REJECT_CODE_UNSUPPORTED_PROTOCOL'
  | 4
  /**
   * The Hello is malformed (missing or invalid fields) or was not the first message.
   */
  | 'HELLO_REJECT_CODE_INVALID_HELLO'
  | 5
  /**
   * Another stream with the same client_id is open on this server (often the client's previous
   * stream, not yet seen dead).
   */
  | 'HELLO_REJECT_CODE_DUPLICATE_CLIENT'
  | 6
  /**
   * The server is starting, stopping, or cut off from its coordinator.
   */
  | 'HELLO_REJECT_CODE_UNAVAILABLE'
  | 7

/**
 * Why a server refused a Hello. UNAVAILABLE and DUPLICATE_CLIENT are transient: reconnect with
 * backoff. The others stay until the client's configuration changes: reconnect slowly, if at
 * all, and tell the user.
 */
export type HelloRejectCode__Output = typeof HelloRejectCode[keyof typeof HelloRejectCode]
