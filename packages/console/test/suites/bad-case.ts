import type { CallOptions } from '../harness.js';

/** A request the console must refuse, and how. */
export interface BadCase {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly options: CallOptions;
  readonly status: number;
  readonly code: string;
  /** The request field the answer must name (`details.field`), where there is one. */
  readonly field?: string;
  /** Words the message must hold, where the task names them. */
  readonly message?: string;
}
