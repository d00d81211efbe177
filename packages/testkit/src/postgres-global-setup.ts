// vitest globalSetup: one PostgreSQL server for the whole run, handed to tests as `postgresUrl`.
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.ts';
import './vitest-context.ts';

export default async function setup(project: TestProject) {
  const postgres = await startPostgres();
  project.provide('postgresUrl', postgres.url);
  return () => postgres.stop();
}
