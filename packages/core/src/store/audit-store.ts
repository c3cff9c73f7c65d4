import type { AuditEvent } from '../access.js';

/** The audit trail: every change made through the console. Append-only. */
export interface AuditStore {
  append(event: Omit<AuditEvent, 'id'>): Promise<void>;
  /** Newest first. */
  list(limit: number, beforeId?: number): Promise<readonly AuditEvent[]>;
}
