// prepack/postpack of the published packages: copies the repository's LICENSE into the package
// being packed (`add`) and removes the copy afterwards (`remove`), so one licence text is kept.
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = join(dirname(fileURLToPath(import.meta.url)), '..', 'LICENSE');
const target = join(process.cwd(), 'LICENSE');
if (process.argv[2] === 'add') copyFileSync(source, target);
else if (process.argv[2] === 'remove') rmSync(target, { force: true });
else throw new Error('usage: node scripts/pack-license.js add|remove');
