// prepack/postpack of the published packages: copies the repository's LICENSE into the package
// being packed (`add`) and removes the copy afterwards (`remove`), so one licence text is kept.
import { copyFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../LICENSE', import.meta.url));
const target = `${process.cwd()}/LICENSE`;
if (process.argv[2] === 'add') copyFileSync(source, target);
else if (process.argv[2] === 'remove') rmSync(target, { force: true });
else throw new Error('usage: node scripts/pack-license.mjs add|remove');
