// Where pipai's credentials come from: flags, then the environment, then the dev credentials file
// that `pnpm start` writes.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '@pipai/contract/command-table';

export function credentials(
  values: { 'base-url'?: string | undefined; 'api-key'?: string | undefined; 'api-secret'?: string | undefined },
  env: NodeJS.ProcessEnv,
) {
  let baseUrl = values['base-url'] ?? env.PIPAI_BASE_URL;
  let apiKey = values['api-key'] ?? env.PIPAI_API_KEY;
  let apiSecret = values['api-secret'] ?? env.PIPAI_API_SECRET;
  const devFile = join(resolve(env.PIPAI_DATA_DIR || '.data'), 'dev-credentials.json');
  if ((!apiKey || !apiSecret || !baseUrl) && existsSync(devFile)) {
    const dev = JSON.parse(readFileSync(devFile, 'utf8'));
    baseUrl ??= dev.base_url;
    if (!apiKey && !apiSecret) {
      apiKey = dev.api_key;
      apiSecret = dev.api_secret;
    }
  }
  if (!baseUrl && !apiKey && !apiSecret) {
    throw new UsageError(
      'no credentials: pass --base-url, --api-key and --api-secret, set PIPAI_BASE_URL, PIPAI_API_KEY and PIPAI_API_SECRET, or run `pnpm start` once for dev credentials',
    );
  }
  if (!baseUrl || !apiKey || !apiSecret) {
    // Some given, some not: name exactly what is missing.
    const missing = [
      ...(baseUrl ? [] : ['--base-url (or PIPAI_BASE_URL)']),
      ...(apiKey ? [] : ['--api-key (or PIPAI_API_KEY)']),
      ...(apiSecret ? [] : ['--api-secret (or PIPAI_API_SECRET)']),
    ];
    throw new UsageError(`incomplete credentials: missing ${missing.join(' and ')}`);
  }
  return { baseUrl, apiKey, apiSecret };
}
