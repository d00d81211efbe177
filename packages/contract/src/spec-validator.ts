// Validates values against any schema of a bundled OpenAPI 3.1 document, addressed by JSON Pointer,
// with a JSON Schema 2020-12 validator (the document's jsonSchemaDialect). Shared by the contract's
// own example tests and by the other packages' contract tests.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const DOCUMENT_ID = 'openapi.json';

export interface SchemaError {
  instancePath: string;
  keyword: string;
  message: string;
  params: ErrorObject['params'];
}

export interface SpecValidator {
  /** The errors of `value` against the schema at `schemaPointer` (e.g. `/components/schemas/Webhook`); [] when valid. */
  validate(schemaPointer: string, value: unknown): SchemaError[];
}

export function toJsonPointer(segments: readonly (string | number)[]): string {
  return segments.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

export function createSpecValidator(document: object): SpecValidator {
  // strict: false because the document also holds OpenAPI keywords (example, discriminator, ...).
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(structuredClone(document), DOCUMENT_ID);
  const compiled = new Map<string, ValidateFunction>();
  return {
    validate(schemaPointer, value) {
      let validate = compiled.get(schemaPointer);
      if (!validate) {
        const fragment = schemaPointer.split('/').map(encodeURIComponent).join('/');
        validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${fragment}` });
        compiled.set(schemaPointer, validate);
      }
      if (validate(value)) return [];
      return (validate.errors ?? []).map(({ instancePath, message, keyword, params }) => ({
        instancePath,
        keyword,
        message: message ?? keyword,
        params,
      }));
    },
  };
}
