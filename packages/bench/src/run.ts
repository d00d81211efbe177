// `pnpm bench [--quick] [scenario …]` runs each scenario with its baseline in the same invocation,
// prints a markdown table, writes packages/bench/results/<scenario>.json and refreshes the table in
// packages/bench/BENCHMARKS.md. `pnpm bench scale` runs the multi-process PostgreSQL scenario.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './lib/processes.ts';

export interface Options {
  quick: boolean;
}

export interface Check {
  name: string;
  value: string;
  pass: boolean;
}

export interface ScenarioResult {
  scenario: string;
  measurements: Record<string, Record<string, unknown>>;
  checks: Check[];
  notes: string;
}

type Scenario = (options: Options) => Promise<ScenarioResult>;

const SCENARIOS: Record<string, () => Promise<Scenario>> = {
  'list-vs-bare': async () => (options) => import('./scenarios/list.ts').then((m) => m.listScenario(options, 'sqlite')),
  'list-postgres': async () => (options) =>
    import('./scenarios/list.ts').then((m) => m.listScenario(options, 'postgres')),
  'delivery-throughput': async () => (options) =>
    import('./scenarios/deliveries.ts').then((m) => m.deliveryThroughput(options)),
  'delivery-latency': async () => (options) =>
    import('./scenarios/deliveries.ts').then((m) => m.deliveryLatency(options)),
  'list-scale': async () => (options) => import('./scenarios/misc.ts').then((m) => m.listScale(options)),
  create: async () => (options) => import('./scenarios/misc.ts').then((m) => m.createScenario(options)),
  toolchain: async () => () => import('./scenarios/misc.ts').then((m) => m.toolchain()),
  fairness: async () => (options) => import('./scenarios/fairness.ts').then((m) => m.fairness(options)),
  scale: async () => (options) => import('./scenarios/scale.ts').then((m) => m.scaleOut(options)),
};

function table(results: ScenarioResult[]): string {
  const lines = ['| scenario | measured | value | target | met |', '|---|---|---|---|---|'];
  for (const result of results) {
    for (const [name, measured] of Object.entries(result.measurements)) {
      const parts = Object.entries(measured)
        .filter(([key]) =>
          [
            'requestsPerSec',
            'p50',
            'p99',
            'loadCpuPercent',
            'serverCpuUsPerRequest',
            'perSecond',
            'listPerSecond',
            'wallMs',
            'rssMb',
            'count',
            'expected',
            'refused',
            'hung',
            'redelivered',
            'ratio',
          ].includes(key),
        )
        .map(([key, value]) => `${key} ${typeof value === 'number' ? Math.round(value * 10) / 10 : value}`);
      lines.push(`| ${result.scenario} | ${name} | ${parts.join(', ')} | | |`);
    }
    for (const check of result.checks)
      lines.push(`| ${result.scenario} | | ${check.value} | ${check.name} | ${check.pass ? 'yes' : '**no**'} |`);
  }
  return lines.join('\n');
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false } },
});
const options: Options = { quick: values.quick };
// `scale` starts many processes; it runs when asked for by name.
const names = positionals.length ? positionals : Object.keys(SCENARIOS).filter((name) => name !== 'scale');
const results: ScenarioResult[] = [];
const resultsDir = join(REPO, 'packages/bench/results');
mkdirSync(resultsDir, { recursive: true });
for (const name of names) {
  const load = SCENARIOS[name];
  if (!load) {
    console.error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${name}${options.quick ? ' (quick)' : ''} …\n`);
  const result = await (await load())(options);
  results.push(result);
  if (!options.quick)
    writeFileSync(
      join(resultsDir, `${name}.json`),
      `${JSON.stringify({ ...result, at: new Date().toISOString(), cpus: cpus().length }, null, 2)}\n`,
    );
}
console.log(table(results));
if (!options.quick) {
  // BENCHMARKS.md shows the latest result of every scenario, whichever run produced it.
  const latest = readdirSync(resultsDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as ScenarioResult & { at: string });
  const order = [...Object.keys(SCENARIOS)];
  latest.sort((a, b) => order.indexOf(a.scenario === 'scale' ? 'scale' : a.scenario) - order.indexOf(b.scenario));
  const file = join(REPO, 'packages/bench/BENCHMARKS.md');
  const document = readFileSync(file, 'utf8');
  const start = '<!-- results:start -->';
  const end = '<!-- results:end -->';
  const dates = latest
    .map((result) => `${result.scenario}: ${result.at.slice(0, 16).replace('T', ' ')} UTC`)
    .join('; ');
  const notes = latest.map((result) => `- **${result.scenario}**: ${result.notes}`).join('\n');
  const updated = `${document.slice(0, document.indexOf(start) + start.length)}\n${table(latest)}\n\nRun at ${dates}, on this project's 2-core machine.\n\n${notes}\n${document.slice(document.indexOf(end))}`;
  writeFileSync(file, updated);
}
// Quick mode checks the harness, not the targets: it fails only when a scenario could not run.
process.exit(0);
