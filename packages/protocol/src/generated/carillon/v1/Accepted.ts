// Original file: proto/carillon/v1/dispatch.proto


/**
 * The client took a dispatch and will run it. A client that starts a dispatch at once may send
 * Started alone: Started implies Accepted. A Dispatch the client already holds (same
 * execution_id and attempt, sent again) is accepted again and not run twice.
 */
export interface Accepted {
  'executionId'?: (string);
  'attempt'?: (number);
}

/**
 * The client took a dispatch and will run it. A client that starts a dispatch at once may send
 * Started alone: Started implies Accepted. A Dispatch the client already holds (same
 * execution_id and attempt, sent again) is accepted again and not run twice.
 */
export interface Accepted__Output {
  'executionId': (string);
  'attempt': (number);
}
