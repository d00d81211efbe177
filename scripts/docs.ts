// Renders the public API's documentation into one self-contained HTML file (Redoc inlined, so it
// renders with no network). `--output PATH` overrides the default .output/docs/index.html.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT, runRedocly } from './lib/redocly.ts';

const outputFlag = process.argv.indexOf('--output');
const output =
  outputFlag > 0 ? resolve(process.argv[outputFlag + 1] ?? '') : join(REPO_ROOT, '.output/docs/index.html');

await runRedocly(['build-docs', 'public@v1', '--inlineBundle', '--output', output]);

// Redoc's attribution shows its logo from a CDN, the page's one request off the machine: the same
// link with a blank inline image instead, so that the page makes no network request at all.
const BLANK_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
const page = readFileSync(output, 'utf8');
const offline = page.replaceAll(/https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(-full)?\.svg/g, BLANK_SVG);
if (offline === page) throw new Error("docs: Redoc's logo URL was not found; check the page for network requests");
writeFileSync(output, offline);
console.log(`docs: open ${relative(process.cwd(), output) || output}`);
