/**
 * The logging port: a subset of pino's API, so a pino logger can be passed as it is.
 * Libraries log through it and never print.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
  /** A logger that adds `bindings` (e.g. `{ serverId }`) to every line. */
  child(bindings: object): Logger;
}

/** A logger that drops everything; the default where none is given. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
