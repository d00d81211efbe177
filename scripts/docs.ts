// Renders the public API's documentation into one self-contained HTML file (Redoc inlined, so it
// renders with no network). `--output PATH` overrides the default .output/docs/index.html.
// The page is built from the public bundle with what only the page shows added: each operation's
// code samples (scripts/lib/code-samples.ts) and the "Payload format" section
// (scripts/lib/payload-format.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { openApi } from '../packages/contract/src/openapi.ts';
import { codeSamplesOf, sampleRequests } from './lib/code-samples.ts';
import { payloadFormatSection } from './lib/payload-format.ts';
import { REPO_ROOT, runRedocly } from './lib/redocly.ts';

const outputFlag = process.argv.indexOf('--output');
const output =
  outputFlag > 0 ? resolve(process.argv[outputFlag + 1] ?? '') : join(REPO_ROOT, '.output/docs/index.html');

const work = mkdtempSync(join(tmpdir(), 'pipai-docs-'));
try {
  // Bundled afresh from openapi/, so that the page shows the spec as it is now, generated or not.
  const input = join(work, 'openapi.json');
  await runRedocly(['bundle', 'public@v1', '--output', input]);
  const spec = JSON.parse(readFileSync(input, 'utf8'));
  const samples = new Map(sampleRequests(spec).map((request) => [request.operationId, codeSamplesOf(request)]));
  for (const { operation } of openApi(spec).operations())
    operation['x-codeSamples'] = samples.get(operation.operationId);
  spec.info.description = `${spec.info.description.trimEnd()}\n\n${payloadFormatSection(spec)}`;
  writeFileSync(input, JSON.stringify(spec));
  await runRedocly(['build-docs', input, '--inlineBundle', '--output', output]);
} finally {
  rmSync(work, { recursive: true, force: true });
}

// Redoc's attribution shows its logo from a CDN, the page's one request off the machine: the same
// link with a blank inline image instead, so that the page makes no network request at all.
const BLANK_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
const page = readFileSync(output, 'utf8');
const offline = page.replaceAll(/https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(-full)?\.svg/g, BLANK_SVG);
if (offline === page) throw new Error("docs: Redoc's logo URL was not found; check the page for network requests");
writeFileSync(output, offline);
console.log(`docs: open ${relative(process.cwd(), output) || output}`);
