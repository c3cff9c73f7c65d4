import { describe } from 'vitest';
import { mariadbDatabase } from './harness.js';
import { defineAccountSuite } from './suites/account-suite.js';
import { defineClusterSuite } from './suites/cluster-suite.js';
import { defineExecutionSuite } from './suites/execution-suite.js';
import { defineJobSuite } from './suites/job-suite.js';
import { defineSessionSuite } from './suites/session-suite.js';
import { definePermissionSuite } from './suites/permission-suite.js';
import { defineStoredInputSuite } from './suites/stored-input-suite.js';
import { defineSubtaskSuite } from './suites/subtask-suite.js';
import { defineValidationSuite } from './suites/validation-suite.js';

// The same suites over MariaDB at 127.0.0.1:3306, a fresh database per suite, dropped after.
describe('console over MariaDB', () => {
  defineSessionSuite(mariadbDatabase);
  defineAccountSuite(mariadbDatabase);
  defineClusterSuite(mariadbDatabase);
  defineJobSuite(mariadbDatabase);
  defineExecutionSuite(mariadbDatabase);
  defineSubtaskSuite(mariadbDatabase);
  definePermissionSuite(mariadbDatabase);
  defineValidationSuite(mariadbDatabase);
  defineStoredInputSuite(mariadbDatabase);
});
