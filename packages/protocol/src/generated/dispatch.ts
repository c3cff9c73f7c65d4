import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Accepted as _carillon_v1_Accepted, Accepted__Output as _carillon_v1_Accepted__Output } from './carillon/v1/Accepted.js';
import type { Cancel as _carillon_v1_Cancel, Cancel__Output as _carillon_v1_Cancel__Output } from './carillon/v1/Cancel.js';
import type { ClientMessage as _carillon_v1_ClientMessage, ClientMessage__Output as _carillon_v1_ClientMessage__Output } from './carillon/v1/ClientMessage.js';
import type { Dispatch as _carillon_v1_Dispatch, Dispatch__Output as _carillon_v1_Dispatch__Output } from './carillon/v1/Dispatch.js';
import type { DispatchBatch as _carillon_v1_DispatchBatch, DispatchBatch__Output as _carillon_v1_DispatchBatch__Output } from './carillon/v1/DispatchBatch.js';
import type { DispatcherClient as _carillon_v1_DispatcherClient, DispatcherDefinition as _carillon_v1_DispatcherDefinition } from './carillon/v1/Dispatcher.js';
import type { ExecutionRef as _carillon_v1_ExecutionRef, ExecutionRef__Output as _carillon_v1_ExecutionRef__Output } from './carillon/v1/ExecutionRef.js';
import type { HandlerError as _carillon_v1_HandlerError, HandlerError__Output as _carillon_v1_HandlerError__Output } from './carillon/v1/HandlerError.js';
import type { HandlerInfo as _carillon_v1_HandlerInfo, HandlerInfo__Output as _carillon_v1_HandlerInfo__Output } from './carillon/v1/HandlerInfo.js';
import type { HandlerLoad as _carillon_v1_HandlerLoad, HandlerLoad__Output as _carillon_v1_HandlerLoad__Output } from './carillon/v1/HandlerLoad.js';
import type { Heartbeat as _carillon_v1_Heartbeat, Heartbeat__Output as _carillon_v1_Heartbeat__Output } from './carillon/v1/Heartbeat.js';
import type { Hello as _carillon_v1_Hello, Hello__Output as _carillon_v1_Hello__Output } from './carillon/v1/Hello.js';
import type { HelloRejected as _carillon_v1_HelloRejected, HelloRejected__Output as _carillon_v1_HelloRejected__Output } from './carillon/v1/HelloRejected.js';
import type { Log as _carillon_v1_Log, Log__Output as _carillon_v1_Log__Output } from './carillon/v1/Log.js';
import type { Progress as _carillon_v1_Progress, Progress__Output as _carillon_v1_Progress__Output } from './carillon/v1/Progress.js';
import type { ReduceOrder as _carillon_v1_ReduceOrder, ReduceOrder__Output as _carillon_v1_ReduceOrder__Output } from './carillon/v1/ReduceOrder.js';
import type { Refused as _carillon_v1_Refused, Refused__Output as _carillon_v1_Refused__Output } from './carillon/v1/Refused.js';
import type { Report as _carillon_v1_Report, Report__Output as _carillon_v1_Report__Output } from './carillon/v1/Report.js';
import type { ReportBatch as _carillon_v1_ReportBatch, ReportBatch__Output as _carillon_v1_ReportBatch__Output } from './carillon/v1/ReportBatch.js';
import type { Result as _carillon_v1_Result, Result__Output as _carillon_v1_Result__Output } from './carillon/v1/Result.js';
import type { ServerMessage as _carillon_v1_ServerMessage, ServerMessage__Output as _carillon_v1_ServerMessage__Output } from './carillon/v1/ServerMessage.js';
import type { ShardOrder as _carillon_v1_ShardOrder, ShardOrder__Output as _carillon_v1_ShardOrder__Output } from './carillon/v1/ShardOrder.js';
import type { Started as _carillon_v1_Started, Started__Output as _carillon_v1_Started__Output } from './carillon/v1/Started.js';
import type { SubtaskChunk as _carillon_v1_SubtaskChunk, SubtaskChunk__Output as _carillon_v1_SubtaskChunk__Output } from './carillon/v1/SubtaskChunk.js';
import type { SubtaskOrder as _carillon_v1_SubtaskOrder, SubtaskOrder__Output as _carillon_v1_SubtaskOrder__Output } from './carillon/v1/SubtaskOrder.js';
import type { Welcome as _carillon_v1_Welcome, Welcome__Output as _carillon_v1_Welcome__Output } from './carillon/v1/Welcome.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  carillon: {
    v1: {
      Accepted: MessageTypeDefinition<_carillon_v1_Accepted, _carillon_v1_Accepted__Output>
      Cancel: MessageTypeDefinition<_carillon_v1_Cancel, _carillon_v1_Cancel__Output>
      CancelReason: EnumTypeDefinition
      ClientMessage: MessageTypeDefinition<_carillon_v1_ClientMessage, _carillon_v1_ClientMessage__Output>
      Dispatch: MessageTypeDefinition<_carillon_v1_Dispatch, _carillon_v1_Dispatch__Output>
      DispatchBatch: MessageTypeDefinition<_carillon_v1_DispatchBatch, _carillon_v1_DispatchBatch__Output>
      /**
       * The one service a Carillon server exposes to clients.
       */
      Dispatcher: SubtypeConstructor<typeof grpc.Client, _carillon_v1_DispatcherClient> & { service: _carillon_v1_DispatcherDefinition }
      ExecutionCause: EnumTypeDefinition
      ExecutionRef: MessageTypeDefinition<_carillon_v1_ExecutionRef, _carillon_v1_ExecutionRef__Output>
      HandlerError: MessageTypeDefinition<_carillon_v1_HandlerError, _carillon_v1_HandlerError__Output>
      HandlerInfo: MessageTypeDefinition<_carillon_v1_HandlerInfo, _carillon_v1_HandlerInfo__Output>
      HandlerLoad: MessageTypeDefinition<_carillon_v1_HandlerLoad, _carillon_v1_HandlerLoad__Output>
      Heartbeat: MessageTypeDefinition<_carillon_v1_Heartbeat, _carillon_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_carillon_v1_Hello, _carillon_v1_Hello__Output>
      HelloRejectCode: EnumTypeDefinition
      HelloRejected: MessageTypeDefinition<_carillon_v1_HelloRejected, _carillon_v1_HelloRejected__Output>
      Log: MessageTypeDefinition<_carillon_v1_Log, _carillon_v1_Log__Output>
      LogLevel: EnumTypeDefinition
      Outcome: EnumTypeDefinition
      Progress: MessageTypeDefinition<_carillon_v1_Progress, _carillon_v1_Progress__Output>
      ReduceOrder: MessageTypeDefinition<_carillon_v1_ReduceOrder, _carillon_v1_ReduceOrder__Output>
      RefuseReason: EnumTypeDefinition
      Refused: MessageTypeDefinition<_carillon_v1_Refused, _carillon_v1_Refused__Output>
      Report: MessageTypeDefinition<_carillon_v1_Report, _carillon_v1_Report__Output>
      ReportBatch: MessageTypeDefinition<_carillon_v1_ReportBatch, _carillon_v1_ReportBatch__Output>
      Result: MessageTypeDefinition<_carillon_v1_Result, _carillon_v1_Result__Output>
      ServerMessage: MessageTypeDefinition<_carillon_v1_ServerMessage, _carillon_v1_ServerMessage__Output>
      ShardOrder: MessageTypeDefinition<_carillon_v1_ShardOrder, _carillon_v1_ShardOrder__Output>
      Started: MessageTypeDefinition<_carillon_v1_Started, _carillon_v1_Started__Output>
      SubtaskChunk: MessageTypeDefinition<_carillon_v1_SubtaskChunk, _carillon_v1_SubtaskChunk__Output>
      SubtaskOrder: MessageTypeDefinition<_carillon_v1_SubtaskOrder, _carillon_v1_SubtaskOrder__Output>
      Welcome: MessageTypeDefinition<_carillon_v1_Welcome, _carillon_v1_Welcome__Output>
    }
  }
}

