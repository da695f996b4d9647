// Validates HTTP exchanges against the pinned OpenAPI document (contract/…yaml) with Ajv, so
// every request the client sends and every answer the sandbox gives in the suite is checked
// against the contract, not against our reading of it.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import { openapiSchemaToJsonSchema } from '@openapi-contrib/openapi-schema-to-json-schema';
import { parse } from 'yaml';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = addFormatsModule.default as unknown as (ajv: Ajv) => Ajv;

type Obj = Record<string, unknown>;
const CONTRACT = new URL('../../contract/partner-core-chat-v1.openapi.yaml', import.meta.url);
const ROOT_ID = 'brek-openapi.json';

export interface ContractValidator {
  validateRequest(method: string, path: string, body: unknown): string[];
  validateResponse(method: string, path: string, status: number, headers: Record<string, string>, body: unknown): string[];
  /** The operation a path belongs to, or undefined when the contract does not have it. */
  operationId(method: string, path: string): string | undefined;
}

/**
 * The document writes `details: { nullable: true, oneOf: [...] }` and shows `details: null` in
 * its own examples. Read literally, OpenAPI 3.0.3 ignores `nullable` without `type`, which would
 * reject the document's own examples; the converter does the same. We honour the evident intent.
 */
function nullableCompositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nullableCompositions);
  if (typeof value !== 'object' || value === null) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) out[k] = nullableCompositions(v);
  if (out.nullable === true && out.type === undefined && (out.oneOf || out.anyOf)) {
    const { nullable: _nullable, ...rest } = out;
    return { anyOf: [{ type: 'null' }, rest] };
  }
  return out;
}

function asObj(value: unknown): Obj {
  return typeof value === 'object' && value !== null ? (value as Obj) : {};
}

function loadContract(): Obj {
  return asObj(parse(readFileSync(CONTRACT, 'utf8')));
}

export function createContractValidator(): ContractValidator {
  const doc = loadContract();
  const components = asObj(doc.components);
  const schemas = asObj(components.schemas);
  const converted: Obj = {};
  for (const [name, schema] of Object.entries(schemas)) converted[name] = toJsonSchema(schema);

  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema({ $id: ROOT_ID, components: { schemas: converted } });

  const compiled = new Map<string, ValidateFunction>();
  function compile(schema: Obj): ValidateFunction {
    const key = JSON.stringify(schema);
    let fn = compiled.get(key);
    if (!fn) {
      fn = ajv.compile(toJsonSchema(schema));
      compiled.set(key, fn);
    }
    return fn;
  }

  function toJsonSchema(schema: unknown): Obj {
    return rebase(openapiSchemaToJsonSchema(nullableCompositions(schema) as never)) as Obj;
  }

  /** Inline schemas point at #/components/…; point them at the registered document instead. */
  function rebase(value: unknown): never {
    if (Array.isArray(value)) return value.map(rebase) as never;
    if (typeof value !== 'object' || value === null) return value as never;
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === '$schema') continue; // the converter stamps draft-04; Ajv 8 speaks 2019+ and reads it fine without
      out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${ROOT_ID}${v}` : rebase(v);
    }
    return out as never;
  }

  function resolve(value: unknown): Obj {
    const obj = asObj(value);
    const ref = obj.$ref;
    if (typeof ref !== 'string') return obj;
    let target: unknown = doc;
    for (const part of ref.replace(/^#\//, '').split('/')) target = asObj(target)[part];
    return resolve(target);
  }

  const operations: { method: string; pattern: RegExp; op: Obj }[] = [];
  for (const [template, item] of Object.entries(asObj(doc.paths))) {
    // `[^/]*`: an empty path parameter still reaches the operation (GET /sessions/ documents a 400).
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]*')}$`);
    for (const [method, op] of Object.entries(asObj(item))) operations.push({ method: method.toUpperCase(), pattern, op: asObj(op) });
  }
  const find = (method: string, path: string) => operations.find((o) => o.method === method && o.pattern.test(path))?.op;

  function errors(fn: ValidateFunction, where: string): string[] {
    return (fn.errors ?? []).map((e) => `${where}${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
  }

  return {
    operationId(method, path) {
      const id = find(method, path)?.operationId;
      return typeof id === 'string' ? id : undefined;
    },

    validateRequest(method, path, body) {
      const op = find(method, path);
      if (!op) return [`${method} ${path} is not in the contract`];
      const requestBody = resolve(op.requestBody);
      const schema = asObj(asObj(asObj(requestBody.content)['application/json']).schema);
      if (Object.keys(schema).length === 0) return body === undefined ? [] : [`${method} ${path} takes no body`];
      if (requestBody.required === true && body === undefined) return [`${method} ${path} requires a body`];
      const fn = compile(schema);
      return fn(body) ? [] : errors(fn, `request ${method} ${path}`);
    },

    validateResponse(method, path, status, headers, body) {
      const op = find(method, path);
      if (!op) return [`${method} ${path} is not in the contract`];
      const responses = asObj(op.responses);
      // The catalog says "5xx | varies" but the document lists only 500: any 5xx is read as it.
      const declared = responses[String(status)] ?? (status >= 500 ? responses['500'] : undefined) ?? responses.default;
      if (!declared) return [`${method} ${path} answered ${status}, which the contract does not document`];
      const response = resolve(declared);
      const problems: string[] = [];
      for (const [name, spec] of Object.entries(asObj(response.headers))) {
        const value = headers[name.toLowerCase()];
        if (value === undefined) continue;
        const headerSchema = asObj(resolve(spec).schema);
        const typed = headerSchema.type === 'integer' ? Number(value) : value;
        const fn = compile(headerSchema);
        if (!fn(typed)) problems.push(...errors(fn, `header ${name}`));
      }
      const schema = asObj(asObj(asObj(response.content)['application/json']).schema);
      const fn = compile(schema);
      if (!fn(body)) problems.push(...errors(fn, `response ${status} ${method} ${path}`));
      return problems;
    },
  };
}
