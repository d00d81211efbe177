// @pipai/server as a library, for tests, benchmarks and the worker.
export { type Config, loadConfig } from './config.ts';
export { canonicalString, signRequest } from './domain/authenticator.ts';
export { type EmbeddedServer, type EmbeddedServerOptions, startEmbeddedServer } from './embedded.ts';
export { createDeliverySender, type DeliverySenderOptions } from './net/delivery-sender.ts';
export { createTargetVerifier, type TargetVerifierOptions } from './net/target-verifier.ts';
export { createServices, internalSpec, type ServiceOptions } from './services.ts';
export { openPostgresStore, openSqliteStore, openStore, type Store } from './store/store.ts';
