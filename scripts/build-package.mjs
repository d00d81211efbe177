// Builds the package in the current directory for publishing: ESM JavaScript and declarations into
// dist/ (tsconfig.build.json), plus the generated declaration and JSON files tsc does not copy.
// Plain JavaScript, so that `npm pack` runs it (as prepack) on any Node the package supports.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const packageDir = process.cwd();
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
rmSync(join(packageDir, 'dist'), { recursive: true, force: true });

const tsc = createRequire(join(packageDir, 'package.json')).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir, stdio: 'inherit' });

const generated = join(packageDir, 'generated');
if (existsSync(generated)) {
  mkdirSync(join(packageDir, 'dist/generated'), { recursive: true });
  for (const file of readdirSync(generated).filter((name) => name.endsWith('.d.ts') || name.endsWith('.json'))) {
    copyFileSync(join(generated, file), join(packageDir, 'dist/generated', file));
  }
}
for (const bin of Object.values(manifest.publishConfig?.bin ?? {})) chmodSync(join(packageDir, bin), 0o755);
console.log(`built ${manifest.name} into dist/`);
