// Renders the public API's documentation into one self-contained HTML file (Redoc inlined, so it
// renders with no network). `--output PATH` overrides the default .output/docs/index.html.
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT, runRedocly } from './lib/redocly.ts';

const outputFlag = process.argv.indexOf('--output');
const output =
  outputFlag > 0 ? resolve(process.argv[outputFlag + 1] ?? '') : join(REPO_ROOT, '.output/docs/index.html');

await runRedocly(['build-docs', 'public@v1', '--inlineBundle', '--output', output]);
console.log(`docs: open ${relative(process.cwd(), output) || output}`);
