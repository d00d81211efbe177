// The real API server as an operator runs it (`pnpm start`), in its own process.
import { join } from 'node:path';
import { type Child, freePort, MASTER_KEY, nodeFlagsOf, REPO, startNode, waitForHttp } from './processes.ts';

export interface ApiProcess extends Child {
  baseUrl: string;
}

export async function startApi(env: {
  dataDir?: string;
  databaseUrl?: string;
  worker?: boolean;
  extra?: NodeJS.ProcessEnv;
}): Promise<ApiProcess> {
  const port = await freePort();
  const child = startNode(
    join(REPO, 'packages/server/src/main.ts'),
    [],
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      PIPAI_MASTER_KEY: MASTER_KEY,
      PIPAI_WEIGHT_PER_MINUTE: '1000000000',
      PIPAI_WORKER: env.worker ? 'on' : 'off',
      // Request logs cost the same with every store; the benchmark measures the API without them.
      LOG_LEVEL: 'warn',
      ...(env.databaseUrl ? { DATABASE_URL: env.databaseUrl } : { PIPAI_DATA_DIR: env.dataDir! }),
      ...env.extra,
    },
    nodeFlagsOf('start'),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}/healthz`).catch((error: Error) => {
    throw new Error(`${error.message}\n${child.output()}`);
  });
  return { ...child, baseUrl };
}
