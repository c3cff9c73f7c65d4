import type { Logger } from '@carillon/core';
import { pino } from 'pino';

/** The process logger: JSON lines on stdout (or a given stream), at `level`. */
export function createLogger(
  level: string,
  stream: NodeJS.WritableStream = process.stdout,
): Logger {
  return pino({ level, base: { pid: process.pid } }, stream as pino.DestinationStream);
}
