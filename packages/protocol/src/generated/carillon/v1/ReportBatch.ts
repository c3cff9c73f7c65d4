// Original file: proto/carillon/v1/dispatch.proto

import type { Report as _carillon_v1_Report, Report__Output as _carillon_v1_Report__Output } from '../../carillon/v1/Report.js';

/**
 * Several reports in one message (one stream write): a client that starts many handlers at one
 * instant sends their Started together, and later their Results. The receiver handles each
 * report as if it had come in a message of its own, in order, and drops a malformed one alone.
 */
export interface ReportBatch {
  /**
   * At least one.
   */
  'reports'?: (_carillon_v1_Report)[];
}

/**
 * Several reports in one message (one stream write): a client that starts many handlers at one
 * instant sends their Started together, and later their Results. The receiver handles each
 * report as if it had come in a message of its own, in order, and drops a malformed one alone.
 */
export interface ReportBatch__Output {
  /**
   * At least one.
   */
  'reports': (_carillon_v1_Report__Output)[];
}
