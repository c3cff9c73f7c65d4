import { describe } from 'vitest';
import { mariadbDatabase } from './harness.js';
import { defineApiSuite } from './suites/api-suite.js';
import { definePermissionSuite } from './suites/permission-suite.js';
import { defineValidationSuite } from './suites/validation-suite.js';

// The same suites over MariaDB at 127.0.0.1:3306, a fresh database per suite, dropped after.
describe('console over MariaDB', () => {
  defineApiSuite(mariadbDatabase);
  definePermissionSuite(mariadbDatabase);
  defineValidationSuite(mariadbDatabase);
});
