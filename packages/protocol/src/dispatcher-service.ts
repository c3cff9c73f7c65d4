import { fileURLToPath } from 'node:url';
import { CarillonError } from '@carillon/core';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ClientMessage } from './client-message.js';
import { decodeClientMessage, encodeClientMessage } from './client-message-codec.js';
import { writeDispatchBatch } from './dispatch-batch-bytes.js';
import { ProtocolErrorCode, protocolError } from './errors.js';
import type { Decoded } from './errors.js';
import type { ServerMessage } from './server-message.js';
import { decodeServerMessage, encodeServerMessage } from './server-message-codec.js';
import type { ProtoGrpcType } from './generated/dispatch.js';
import type { DispatcherDefinition } from './generated/carillon/v1/Dispatcher.js';

// Resolved from this module's own location, so it holds from `src/` (tests, `source`
// condition) and from `dist/` (the built package) alike: both sit beside `proto/`.
const PROTO_ROOT = fileURLToPath(new URL('../proto/', import.meta.url));
const PROTO_FILE = 'carillon/v1/dispatch.proto';

/** The absolute path of the contract, `proto/carillon/v1/dispatch.proto`, for tools. */
export const PROTO_PATH = fileURLToPath(new URL(`../proto/${PROTO_FILE}`, import.meta.url));

/**
 * How `@grpc/proto-loader` reads the contract. The generated types in `src/generated` assume
 * exactly these options (see `scripts.generate` in package.json): change both together.
 */
export const LOADER_OPTIONS = {
  /** camelCase field names, as TypeScript code expects. */
  keepCase: false,
  /**
   * int64 as a JS number: the ms instants and durations of the contract stay below 2^53. A
   * larger value decodes rounded and fails the safe-integer check, so it is rejected, not
   * misread.
   */
  longs: Number,
  /** Enum value names: an unknown value arrives as a number and is told apart. */
  enums: String,
  /** Absent plain fields read as their zero value; proto3 `optional` ones stay absent. */
  defaults: true,
  /** A virtual `payload` field names the oneof member present. */
  oneofs: true,
} as const satisfies protoLoader.Options;

type DispatchPackage = ProtoGrpcType['carillon']['v1'];
let loaded: DispatchPackage | undefined;
let service: DispatcherDefinition | undefined;

/**
 * The loaded `carillon.v1` package: the service definition and the raw client constructor.
 * Reads the `.proto` file once, on first use (importing this module does no I/O).
 *
 * @throws CarillonError `CARILLON_PROTOCOL_PROTO_UNAVAILABLE` when the file is missing or does
 *   not parse (a broken installation).
 */
export function loadDispatcherProto(): DispatchPackage {
  if (loaded === undefined) {
    let definition: protoLoader.PackageDefinition;
    try {
      definition = protoLoader.loadSync(PROTO_FILE, {
        ...LOADER_OPTIONS,
        includeDirs: [PROTO_ROOT],
      });
    } catch (cause) {
      throw new CarillonError(
        ProtocolErrorCode.ProtoUnavailable,
        `cannot load ${PROTO_PATH}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    // The generated ProtoGrpcType describes exactly what loadPackageDefinition builds from it.
    loaded = (grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType).carillon.v1;
  }
  return loaded;
}

/**
 * The `carillon.v1.Dispatcher` service definition, for `grpc.Server#addService` when not using
 * {@link createDispatcherServer}. Its method `Connect` carries wire messages; convert them with
 * the encode/decode functions.
 */
export function dispatcherServiceDefinition(): DispatcherDefinition {
  if (service === undefined) {
    const proto = loadDispatcherProto();
    const loadedService = proto.Dispatcher.service;
    // An enum's descriptor (proto-loader types it only as `object`).
    const causeType = proto.ExecutionCause.type as {
      readonly value: ReadonlyArray<{ readonly name: string; readonly number: number }>;
    };
    const causes = new Map(causeType.value.map((v) => [v.name, v.number]));
    const serialize = loadedService.Connect.responseSerialize;
    service = {
      ...loadedService,
      Connect: {
        ...loadedService.Connect,
        // Dispatch batches, one per placement of subtasks, are most of what a server sends.
        responseSerialize: (wire) => writeDispatchBatch(wire, causes) ?? serialize(wire),
      },
    };
  }
  return service;
}

/**
 * Encodes a client message to protobuf bytes, exactly as a client stream would write it.
 *
 * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when a field breaks the contract.
 */
export function serializeClientMessage(message: ClientMessage): Buffer {
  return dispatcherServiceDefinition().Connect.requestSerialize(encodeClientMessage(message));
}

/** Decodes protobuf bytes as a server would read a client message. Never throws. */
export function deserializeClientMessage(bytes: Buffer): Decoded<ClientMessage> {
  const method = dispatcherServiceDefinition().Connect;
  let wire;
  try {
    wire = method.requestDeserialize(bytes);
  } catch (cause) {
    return unreadable(cause);
  }
  return decodeClientMessage(wire);
}

/**
 * Encodes a server message to protobuf bytes, exactly as a server stream would write it.
 *
 * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when a field breaks the contract.
 */
export function serializeServerMessage(message: ServerMessage): Buffer {
  return dispatcherServiceDefinition().Connect.responseSerialize(encodeServerMessage(message));
}

/** Decodes protobuf bytes as a client would read a server message. Never throws. */
export function deserializeServerMessage(bytes: Buffer): Decoded<ServerMessage> {
  const method = dispatcherServiceDefinition().Connect;
  let wire;
  try {
    wire = method.responseDeserialize(bytes);
  } catch (cause) {
    return unreadable(cause);
  }
  return decodeServerMessage(wire);
}

function unreadable(cause: unknown): { ok: false; error: CarillonError } {
  return {
    ok: false,
    error: protocolError(ProtocolErrorCode.Malformed, 'payload', 'is not valid protobuf', cause),
  };
}
