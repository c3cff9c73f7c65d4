// Run by migrations.test.ts as a separate process: migrates the database at argv[2] and
// prints what it applied as one JSON line.
import { migrateDatabase } from '@carillon/storage';

const url = process.argv[2];
if (url === undefined) throw new Error('usage: migrate-child.ts <database url>');
const outcome = await migrateDatabase({ url });
process.stdout.write(`${JSON.stringify(outcome)}\n`);
