// The guard works: against a copy of the spec that disagrees with the server (a renamed response
// field, a 409 the spec no longer documents), the same scenarios fail, in our checker and in Prism's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponseChecker, loadPublicSpec } from '../src/responses.ts';
import { startTarget, type Target } from '../src/targets.ts';

const dir = mkdtempSync(join(tmpdir(), 'pipai-mismatch-'));
const specFile = join(dir, 'openapi.json');
const mutated = loadPublicSpec();
const base = mutated.components.schemas.WebhookBase;
base.properties.failure_count = base.properties.consecutive_failures;
delete base.properties.consecutive_failures;
base.required = base.required.map((name: string) => (name === 'consecutive_failures' ? 'failure_count' : name));
delete mutated.paths['/v1/webhooks'].post.responses['409'];
writeFileSync(specFile, JSON.stringify(mutated));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runScenarios(target: Target) {
  const client = await target.client();
  const body = { url: target.hookUrl('mismatch'), events: ['*' as const] };
  const created = await client.POST('/v1/webhooks', { body });
  // Behind `prism proxy --errors` the violating 201 itself becomes an error: there may be no id.
  await client.GET('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: created.data?.id ?? 'wh_000000' } } });
  await client.POST('/v1/webhooks', { body }); // 409
}

describe('a server that disagrees with the spec', () => {
  let direct: Target;
  let proxied: Target;
  beforeAll(async () => {
    direct = await startTarget('server', { checker: createResponseChecker(mutated) });
    proxied = await startTarget('server via prism proxy', { specFile });
  }, 60_000);
  afterAll(async () => {
    await direct.close();
    await proxied.close();
  });

  it('fails the response check: the renamed field and the undocumented 409', async () => {
    await runScenarios(direct);
    const problems = direct.problems.map((entry) => `${entry.where}: ${entry.problem}`).join('\n');
    expect(problems).toMatch(/POST \/v1\/webhooks -> 201: \/ must have required property 'failure_count'/);
    expect(problems).toMatch(/GET \/v1\/webhooks\/wh_[0-9a-f]+ -> 200: \/ must NOT have unevaluated properties/);
    expect(problems).toMatch(/POST \/v1\/webhooks -> 409: status 409 is not documented/);
  });

  it("fails Prism's proxy validation too", async () => {
    await runScenarios(proxied);
    const created = proxied.responses[0]!;
    expect(created.status).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(created.headers.get('sl-violations') ?? '[]')).toContainEqual(
      expect.objectContaining({ location: expect.arrayContaining(['response']) }),
    );
    expect(proxied.problems.length).toBeGreaterThan(0);
  });
});
