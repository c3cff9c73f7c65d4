import { JOB_LIMITS, ROUTE_LABEL_PATTERN } from '@carillon/core';

/**
 * Sizes the contract enforces on both ends. Ids and names are counted in Unicode code points
 * (as the console's OpenAPI document and the database columns count them); message sizes in
 * encoded bytes.
 */
export const PROTOCOL_LIMITS = {
  /** Execution, client and server ids, rooms and SDK versions. */
  idMaxLength: 256,
  /** Client tokens. */
  tokenMaxLength: 4096,
  /** Handler names, as jobs name them. */
  handlerMaxLength: JOB_LIMITS.handlerMax,
  /** Job names. */
  jobNameMaxLength: JOB_LIMITS.nameMax,
  /** A client label, and how many a client declares. */
  labelMaxLength: JOB_LIMITS.routeLabelMax,
  labelsMax: JOB_LIMITS.routeLabelsMax,
  /**
   * The largest message either end accepts (gRPC's default is 4 MiB). A larger message ends the
   * whole stream with RESOURCE_EXHAUSTED, so the SDK must keep results and log lines below it.
   */
  maxMessageBytes: 8 * 1024 * 1024,
  /** The encoded size {@link splitDispatches} keeps each DispatchBatch under by default. */
  dispatchBatchMaxBytes: 1024 * 1024,
  /** The encoded size a client keeps each ReportBatch under. */
  reportBatchMaxBytes: 1024 * 1024,
} as const;

/** What a client label looks like (`gpu`, `zone=eu-1`): the core's route label rule. */
export const LABEL_PATTERN: RegExp = ROUTE_LABEL_PATTERN;
