/** Error codes of the `carillon` command. */
export const CliErrorCode = {
  /** An environment variable or flag has a bad value. */
  InvalidConfig: 'CARILLON_INVALID_CONFIG',
  /**
   * Another server of the ServerGroup is alive and there is no shared coordinator
   * (`CARILLON_ZK`) to schedule together through.
   */
  ServerGroupTaken: 'CARILLON_SERVER_GROUP_TAKEN',
  /** Another live process runs with this server id (its heartbeat moves on). */
  ServerIdTaken: 'CARILLON_SERVER_ID_TAKEN',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];
