// Original file: proto/carillon/v1/dispatch.proto

import type { Welcome as _carillon_v1_Welcome, Welcome__Output as _carillon_v1_Welcome__Output } from '../../carillon/v1/Welcome.js';
import type { HelloRejected as _carillon_v1_HelloRejected, HelloRejected__Output as _carillon_v1_HelloRejected__Output } from '../../carillon/v1/HelloRejected.js';
import type { DispatchBatch as _carillon_v1_DispatchBatch, DispatchBatch__Output as _carillon_v1_DispatchBatch__Output } from '../../carillon/v1/DispatchBatch.js';
import type { Cancel as _carillon_v1_Cancel, Cancel__Output as _carillon_v1_Cancel__Output } from '../../carillon/v1/Cancel.js';

/**
 * Everything a server sends on the stream: exactly one payload per message.
 */
export interface ServerMessage {
  'welcome'?: (_carillon_v1_Welcome | null);
  'helloRejected'?: (_carillon_v1_HelloRejected | null);
  'dispatchBatch'?: (_carillon_v1_DispatchBatch | null);
  'cancel'?: (_carillon_v1_Cancel | null);
  'payload'?: "welcome"|"helloRejected"|"dispatchBatch"|"cancel";
}

/**
 * Everything a server sends on the stream: exactly one payload per message.
 */
export interface ServerMessage__Output {
  'welcome'?: (_carillon_v1_Welcome__Output | null);
  'helloRejected'?: (_carillon_v1_HelloRejected__Output | null);
  'dispatchBatch'?: (_carillon_v1_DispatchBatch__Output | null);
  'cancel'?: (_carillon_v1_Cancel__Output | null);
  'payload'?: "welcome"|"helloRejected"|"dispatchBatch"|"cancel";
}
