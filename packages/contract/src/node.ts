// Filesystem paths of the bundled specs, for tools that load them by path (express-openapi-validator,
// Prism, the docs build).
import { fileURLToPath } from 'node:url';

export const publicSpecPath = fileURLToPath(new URL('../generated/openapi.json', import.meta.url));
export const internalSpecPath = fileURLToPath(new URL('../generated/openapi.internal.json', import.meta.url));
