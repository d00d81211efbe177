// @pipai/server as a library, for tests, benchmarks and the worker.
export { loadConfig, type Config } from './config.ts';
export { createServices, internalSpec, type ServiceOptions } from './services.ts';
export { openStore } from './store/open-store.ts';
export { SqliteStore } from './store/sqlite-store.ts';
export { PostgresStore } from './store/postgres-store.ts';
export type { Store } from './store/store.ts';
export { createTargetVerifier, type TargetVerifierOptions } from './net/target-verifier.ts';
export { createDeliverySender, type DeliverySenderOptions } from './net/delivery-sender.ts';
export { signRequest, canonicalString } from './domain/authenticator.ts';
export { startEmbeddedServer, type EmbeddedServer, type EmbeddedServerOptions } from './embedded.ts';
