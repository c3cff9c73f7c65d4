import * as grpc from '@grpc/grpc-js';

/** `grpc.health.v1.HealthCheckResponse.ServingStatus`, as the standard health protocol names it. */
export const ServingStatus = {
  Unknown: 'UNKNOWN',
  Serving: 'SERVING',
  NotServing: 'NOT_SERVING',
} as const;
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

/** The status of `service` (`''`: the whole server); undefined for a service it does not know. */
export type GrpcHealthCheck = (service: string) => Promise<ServingStatus | undefined>;

/** The name clients ask `grpc.health.v1.Health/Check` about for the dispatch service. */
export const DISPATCHER_SERVICE_NAME = 'carillon.v1.Dispatcher';

const STATUS_NUMBER: Record<ServingStatus, number> = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2 };

// Checks provided for a listening port, so that the scheduling server can answer readiness on
// the port the dispatch service listens on without owning its gRPC server.
const provided = new Map<number, GrpcHealthCheck>();

/**
 * Makes `grpc.health.v1.Health/Check` on the dispatcher server bound to `port` (in this
 * process) answer with `check` instead of the default (SERVING while listening). Returns how
 * to withdraw it.
 *
 * @example const withdraw = provideGrpcHealth(7701, async () => (ready() ? 'SERVING' : 'NOT_SERVING'));
 */
export function provideGrpcHealth(port: number, check: GrpcHealthCheck): () => void {
  provided.set(port, check);
  return () => {
    if (provided.get(port) === check) provided.delete(port);
  };
}

/** The check provided for one of `ports`, if any. */
export function providedGrpcHealth(ports: Iterable<number>): GrpcHealthCheck | undefined {
  for (const port of ports) {
    const check = provided.get(port);
    if (check !== undefined) return check;
  }
  return undefined;
}

// The two messages have one field each; encoding them by hand spares a second .proto file.
function decodeRequest(bytes: Buffer): { service: string } {
  let service = '';
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const length = varint();
      if (tag >>> 3 === 1) service = bytes.subarray(at, at + length).toString('utf8');
      at += length;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return { service };
}

function encodeRequest(request: { service: string }): Buffer {
  const text = Buffer.from(request.service, 'utf8');
  if (text.length === 0) return Buffer.alloc(0);
  if (text.length > 127) throw new Error('service name too long');
  return Buffer.concat([Buffer.from([0x0a, text.length]), text]);
}

function encodeResponse(response: { status: ServingStatus }): Buffer {
  return Buffer.from([0x08, STATUS_NUMBER[response.status]]);
}

function decodeResponse(bytes: Buffer): { status: ServingStatus } {
  const number = bytes[0] === 0x08 ? (bytes[1] ?? 0) : 0;
  const status = (Object.keys(STATUS_NUMBER) as ServingStatus[]).find(
    (s) => STATUS_NUMBER[s] === number,
  );
  return { status: status ?? ServingStatus.Unknown };
}

/** The `grpc.health.v1.Health` service definition (Check only; Watch answers UNIMPLEMENTED). */
export const HEALTH_SERVICE_DEFINITION = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
  Watch: {
    path: '/grpc.health.v1.Health/Watch',
    requestStream: false,
    responseStream: true,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
} satisfies grpc.ServiceDefinition;

/** The service's handlers over `status`, which answers per service name. */
export function healthServiceHandlers(
  status: (service: string) => Promise<ServingStatus | undefined>,
): grpc.UntypedServiceImplementation {
  const check: grpc.handleUnaryCall<{ service: string }, { status: ServingStatus }> = (
    call,
    callback,
  ) => {
    status(call.request.service).then(
      (answer) => {
        if (answer === undefined)
          callback({
            code: grpc.status.NOT_FOUND,
            details: `unknown service ${call.request.service}`,
          });
        else callback(null, { status: answer });
      },
      (error: unknown) => callback({ code: grpc.status.INTERNAL, details: String(error) }),
    );
  };
  const watch: grpc.handleServerStreamingCall<{ service: string }, { status: ServingStatus }> = (
    call,
  ) => call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'use Check' });
  return { Check: check, Watch: watch };
}

const HealthClient = grpc.makeGenericClientConstructor(
  HEALTH_SERVICE_DEFINITION,
  'grpc.health.v1.Health',
);

/**
 * Calls `grpc.health.v1.Health/Check` for `service` (default `''`, the whole server) at
 * `address` (host:port, plaintext unless `credentials`) and resolves with the status, or with
 * the gRPC status code of a failed call (5, NOT_FOUND, for a service the server does not know;
 * 14, UNAVAILABLE, when nothing answers). Gives up after `timeoutMs` (default 5,000).
 *
 * @example if ((await checkGrpcHealth('127.0.0.1:7701')) !== 'SERVING') process.exit(1);
 */
export async function checkGrpcHealth(
  address: string,
  options: {
    readonly service?: string;
    readonly credentials?: grpc.ChannelCredentials;
    readonly timeoutMs?: number;
  } = {},
): Promise<ServingStatus | { readonly code: number }> {
  const client = new HealthClient(
    address,
    options.credentials ?? grpc.credentials.createInsecure(),
  );
  const check = HEALTH_SERVICE_DEFINITION.Check;
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest(
        check.path,
        check.requestSerialize,
        check.responseDeserialize,
        { service: options.service ?? '' },
        { deadline: Date.now() + (options.timeoutMs ?? 5_000) },
        (error, response) =>
          resolve(
            error === null ? (response?.status ?? ServingStatus.Unknown) : { code: error.code },
          ),
      );
    });
  } finally {
    client.close();
  }
}
