// `pnpm check:breaking`: the public spec as generated now against the last released one
// (packages/contract/released/openapi.json). Breaking changes fail; additive ones are listed.
// `pnpm release:spec` makes the current spec the released baseline.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compareSpecs } from '../packages/contract/src/breaking.ts';
import { REPO_ROOT } from './lib/redocly.ts';

const { values } = parseArgs({
  options: { base: { type: 'string' }, head: { type: 'string' }, release: { type: 'boolean', default: false } },
});
const released = resolve(values.base ?? join(REPO_ROOT, 'packages/contract/released/openapi.json'));
const current = resolve(values.head ?? join(REPO_ROOT, 'packages/contract/generated/openapi.json'));

if (values.release) {
  mkdirSync(dirname(released), { recursive: true });
  copyFileSync(current, released);
  console.log(`release:spec: ${current} is now the released baseline (${released}).`);
  process.exit(0);
}

const changes = compareSpecs(JSON.parse(readFileSync(released, 'utf8')), JSON.parse(readFileSync(current, 'utf8')));
const breaking = changes.filter((change) => change.kind === 'breaking');
const additive = changes.filter((change) => change.kind === 'additive');
for (const change of additive) console.log(`additive  ${change.rule}  ${change.where}`);
for (const change of breaking) console.error(`BREAKING  ${change.rule}  ${change.where}`);
if (breaking.length > 0) {
  console.error(
    `check:breaking: ${breaking.length} breaking change(s) against the released spec. Keep them out, or release a new major version.`,
  );
  process.exit(1);
}
console.log(`check:breaking: no breaking change against the released spec (${additive.length} additive).`);
