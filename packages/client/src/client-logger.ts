/**
 * Where the SDK writes its own diagnostics (connections, rejections, dropped messages). The
 * signature is pino's, so a pino logger fits as it is; so does `console`. The SDK never prints
 * unless given one.
 */
export interface ClientLogger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** The default logger: drops everything. */
export const silentLogger: ClientLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
