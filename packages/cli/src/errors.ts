/** Error codes of the `carillon` command. */
export const CliErrorCode = {
  /** An environment variable or flag has a bad value. */
  InvalidConfig: 'CARILLON_INVALID_CONFIG',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];
