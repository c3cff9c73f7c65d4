import { CarillonError } from '@carillon/core';

/** Error codes of the coordination package. */
export const CoordinationErrorCode = {
  /** The ZooKeeper connection string is empty or malformed; `details.connection` is it. */
  InvalidConnectionString: 'CARILLON_COORDINATION_INVALID_CONNECTION_STRING',
  /** No ZooKeeper session could be opened (or reopened) within the connect timeout. */
  Unavailable: 'CARILLON_COORDINATION_UNAVAILABLE',
  /**
   * A server id (or a client under a server) is already registered by another live session
   * and stayed so past the wait; `details.path` names the node.
   */
  AlreadyRegistered: 'CARILLON_COORDINATION_ALREADY_REGISTERED',
  /** A call names a cluster other than the coordinator's; `details.cluster` is the one named. */
  WrongCluster: 'CARILLON_COORDINATION_WRONG_CLUSTER',
  /** The coordinator is not started, or stopped. */
  NotStarted: 'CARILLON_COORDINATION_NOT_STARTED',
  /**
   * ZooKeeper refused this session access to the cluster's nodes (their ACL): they were made
   * with other credentials, or with some while this process has none; `details.path` the node.
   */
  AccessDenied: 'CARILLON_COORDINATION_ACCESS_DENIED',
  /** ZooKeeper answered a request with an error; `cause` is it, `details.path` the node. */
  RequestFailed: 'CARILLON_COORDINATION_REQUEST_FAILED',
} as const;

export type CoordinationErrorCode =
  (typeof CoordinationErrorCode)[keyof typeof CoordinationErrorCode];

/** Builds a {@link CarillonError} with a coordination code. */
export function coordinationError(
  code: CoordinationErrorCode,
  message: string,
  cause?: unknown,
  details?: Readonly<Record<string, string | number | boolean>>,
): CarillonError {
  return new CarillonError(code, message, {
    ...(cause === undefined ? {} : { cause }),
    ...(details === undefined ? {} : { details }),
  });
}
