// Original file: proto/carillon/v1/dispatch.proto

import type { Hello as _carillon_v1_Hello, Hello__Output as _carillon_v1_Hello__Output } from '../../carillon/v1/Hello.js';
import type { Heartbeat as _carillon_v1_Heartbeat, Heartbeat__Output as _carillon_v1_Heartbeat__Output } from '../../carillon/v1/Heartbeat.js';
import type { Accepted as _carillon_v1_Accepted, Accepted__Output as _carillon_v1_Accepted__Output } from '../../carillon/v1/Accepted.js';
import type { Refused as _carillon_v1_Refused, Refused__Output as _carillon_v1_Refused__Output } from '../../carillon/v1/Refused.js';
import type { Started as _carillon_v1_Started, Started__Output as _carillon_v1_Started__Output } from '../../carillon/v1/Started.js';
import type { Log as _carillon_v1_Log, Log__Output as _carillon_v1_Log__Output } from '../../carillon/v1/Log.js';
import type { Progress as _carillon_v1_Progress, Progress__Output as _carillon_v1_Progress__Output } from '../../carillon/v1/Progress.js';
import type { Result as _carillon_v1_Result, Result__Output as _carillon_v1_Result__Output } from '../../carillon/v1/Result.js';
import type { ReportBatch as _carillon_v1_ReportBatch, ReportBatch__Output as _carillon_v1_ReportBatch__Output } from '../../carillon/v1/ReportBatch.js';
import type { SubtaskChunk as _carillon_v1_SubtaskChunk, SubtaskChunk__Output as _carillon_v1_SubtaskChunk__Output } from '../../carillon/v1/SubtaskChunk.js';

/**
 * Everything a client sends on the stream: exactly one payload per message.
 */
export interface ClientMessage {
  'hello'?: (_carillon_v1_Hello | null);
  'heartbeat'?: (_carillon_v1_Heartbeat | null);
  'accepted'?: (_carillon_v1_Accepted | null);
  'refused'?: (_carillon_v1_Refused | null);
  'started'?: (_carillon_v1_Started | null);
  'log'?: (_carillon_v1_Log | null);
  'progress'?: (_carillon_v1_Progress | null);
  'result'?: (_carillon_v1_Result | null);
  'reportBatch'?: (_carillon_v1_ReportBatch | null);
  'subtaskChunk'?: (_carillon_v1_SubtaskChunk | null);
  'payload'?: "hello"|"heartbeat"|"accepted"|"refused"|"started"|"log"|"progress"|"result"|"reportBatch"|"subtaskChunk";
}

/**
 * Everything a client sends on the stream: exactly one payload per message.
 */
export interface ClientMessage__Output {
  'hello'?: (_carillon_v1_Hello__Output | null);
  'heartbeat'?: (_carillon_v1_Heartbeat__Output | null);
  'accepted'?: (_carillon_v1_Accepted__Output | null);
  'refused'?: (_carillon_v1_Refused__Output | null);
  'started'?: (_carillon_v1_Started__Output | null);
  'log'?: (_carillon_v1_Log__Output | null);
  'progress'?: (_carillon_v1_Progress__Output | null);
  'result'?: (_carillon_v1_Result__Output | null);
  'reportBatch'?: (_carillon_v1_ReportBatch__Output | null);
  'subtaskChunk'?: (_carillon_v1_SubtaskChunk__Output | null);
  'payload'?: "hello"|"heartbeat"|"accepted"|"refused"|"started"|"log"|"progress"|"result"|"reportBatch"|"subtaskChunk";
}
