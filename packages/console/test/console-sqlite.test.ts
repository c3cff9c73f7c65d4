import { describe } from 'vitest';
import { sqliteDatabase } from './harness.js';
import { defineAccountSuite } from './suites/account-suite.js';
import { defineClusterSuite } from './suites/cluster-suite.js';
import { defineExecutionSuite } from './suites/execution-suite.js';
import { defineJobSuite } from './suites/job-suite.js';
import { defineSessionSuite } from './suites/session-suite.js';
import { definePermissionSuite } from './suites/permission-suite.js';
import { defineStoredInputSuite } from './suites/stored-input-suite.js';
import { defineSubtaskSuite } from './suites/subtask-suite.js';
import { defineValidationSuite } from './suites/validation-suite.js';

describe('console over SQLite', () => {
  defineSessionSuite(sqliteDatabase);
  defineAccountSuite(sqliteDatabase);
  defineClusterSuite(sqliteDatabase);
  defineJobSuite(sqliteDatabase);
  defineExecutionSuite(sqliteDatabase);
  defineSubtaskSuite(sqliteDatabase);
  definePermissionSuite(sqliteDatabase);
  defineValidationSuite(sqliteDatabase);
  defineStoredInputSuite(sqliteDatabase);
});
