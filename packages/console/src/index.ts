export { createConsole } from './app.js';
export type { ConsoleApp, ConsoleOptions, ConsoleState } from './app.js';
export { ensureAdmin } from './auth/ensure-admin.js';
export type { EnsureAdminOptions, EnsureAdminResult } from './auth/ensure-admin.js';
export { hashPassword, verifyPassword, PASSWORD_LIMITS, SCRYPT_PARAMS } from './auth/password.js';
export { newTokenSecret } from './auth/token-secret.js';
// Moved to core; re-exported so that callers of the console's first API keep working.
export { hashTokenSecret } from '@carillon/core';
export { ConsoleErrorCode, httpStatusOf } from './errors.js';
export type { ErrorBody } from './errors.js';
export { OPENAPI_PATHS } from './openapi.js';
export { JOB_DEFAULTS } from './validation/job-schemas.js';
