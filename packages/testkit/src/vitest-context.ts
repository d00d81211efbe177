// The URL of the run's PostgreSQL server, provided by postgres-global-setup.ts; tests read it with
// inject('postgresUrl') after importing this module.
declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export {};
