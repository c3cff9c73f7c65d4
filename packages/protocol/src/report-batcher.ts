import type { ClientReport } from './client-message.js';
import { encodeReportBatch } from './client-message-codec.js';
import { PROTOCOL_LIMITS } from './protocol-limits.js';
import type { ClientMessage as WireClientMessage } from './generated/carillon/v1/ClientMessage.js';
import type { Report as WireReport } from './generated/carillon/v1/Report.js';

// An upper bound of what one report adds besides its strings: tags, lengths and varints.
const REPORT_OVERHEAD_BYTES = 64;

/**
 * Collects encoded reports and cuts them, in order, into as few messages as keep each under
 * `maxBytes` (default {@link PROTOCOL_LIMITS.reportBatchMaxBytes}): a lone report travels as
 * itself, several as one ReportBatch.
 */
export class ReportBatcher {
  readonly #maxBytes: number;
  #batches: { reports: WireReport[]; bytes: number }[] = [];

  constructor(maxBytes: number = PROTOCOL_LIMITS.reportBatchMaxBytes) {
    this.#maxBytes = maxBytes;
  }

  /** True when no report waits. */
  get empty(): boolean {
    return this.#batches.length === 0;
  }

  /** Adds `wire`, the encoding of `report`. */
  add(report: ClientReport, wire: WireReport): void {
    const bytes = estimateReportBytes(report);
    const last = this.#batches.at(-1);
    if (last !== undefined && last.bytes + bytes <= this.#maxBytes) {
      last.reports.push(wire);
      last.bytes += bytes;
    } else {
      this.#batches.push({ reports: [wire], bytes });
    }
  }

  /** The messages to write, in order; the batcher is empty afterwards. */
  take(): WireClientMessage[] {
    const batches = this.#batches;
    this.#batches = [];
    return batches.map(({ reports }) =>
      reports.length === 1 && reports[0] !== undefined ? reports[0] : encodeReportBatch(reports),
    );
  }

  /** Forgets every waiting report. */
  clear(): void {
    this.#batches = [];
  }
}

/**
 * An upper bound of the encoded size of one report, from its strings' lengths (a UTF-16 code
 * unit takes at most 3 bytes of UTF-8), so that it costs nothing to compute on the start path.
 */
export function estimateReportBytes(report: ClientReport): number {
  let chars = report.executionId.length;
  switch (report.kind) {
    case 'refused':
    case 'log':
      chars += report.message.length;
      break;
    case 'progress':
      chars += report.message?.length ?? 0;
      break;
    case 'result': {
      chars += report.result?.length ?? 0;
      const error = report.error ?? null;
      if (error !== null)
        chars += error.type.length + error.message.length + (error.stack?.length ?? 0);
      break;
    }
    case 'subtaskChunk':
      for (const payload of report.payloads) chars += payload.length + 2;
      break;
    case 'accepted':
    case 'started':
      break;
  }
  return REPORT_OVERHEAD_BYTES + 3 * chars;
}
