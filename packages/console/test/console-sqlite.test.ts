import { describe } from 'vitest';
import { sqliteDatabase } from './harness.js';
import { defineApiSuite } from './suites/api-suite.js';
import { definePermissionSuite } from './suites/permission-suite.js';
import { defineValidationSuite } from './suites/validation-suite.js';

describe('console over SQLite', () => {
  defineApiSuite(sqliteDatabase);
  definePermissionSuite(sqliteDatabase);
  defineValidationSuite(sqliteDatabase);
});
