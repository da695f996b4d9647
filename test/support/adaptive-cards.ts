// Microsoft's official Adaptive Card schemas (/work/shared/platform-schemas/adaptive-cards), as a
// validator: the schema errors of a card against the version it declares.
import { existsSync, readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import { isObj } from '../../core/util.ts';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = addFormatsModule.default as unknown as (ajv: Ajv) => Ajv;
type Obj = Record<string, unknown>;

/**
 * Read from the shared folder beside the checkout (never copied into the repo), with SOURCES.md's
 * loading notes applied in memory. Looked for beside each folder above this one, so a git
 * worktree nested a level deeper (wt/<name>/) finds it too.
 */
function schemaDir(): URL | undefined {
  for (let up = '../../'; up.length <= 5 * 3 + 3; up += '../') {
    const dir = new URL(`${up}shared/platform-schemas/adaptive-cards/`, import.meta.url);
    if (existsSync(dir)) return dir;
  }
  return undefined;
}
const SCHEMA_DIR = schemaDir();
// CI always has it; a clone without it still checks every other limit, and says what it skipped.
if (!SCHEMA_DIR) console.warn('adaptive-cards: shared/platform-schemas/adaptive-cards is absent, so cards are not validated against the official schema here');
const draft06 = JSON.parse(readFileSync(new URL('../../node_modules/ajv/dist/refs/json-schema-draft-06.json', import.meta.url), 'utf8')) as Obj;

function withoutRequiredFalse(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutRequiredFalse);
  if (!isObj(value)) return value;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) if (!(k === 'required' && v === false)) out[k] = withoutRequiredFalse(v);
  return out;
}

const validators = new Map<string, ValidateFunction>();
function cardValidator(dir: URL, version: string): ValidateFunction {
  let validate = validators.get(version);
  if (!validate) {
    const schema = withoutRequiredFalse(JSON.parse(readFileSync(new URL(`adaptive-card-${version}.0.json`, dir), 'utf8'))) as Obj;
    delete schema.id; // a draft-04 spelling of $id; the schema is not referenced by it
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addMetaSchema(draft06);
    addFormats(ajv);
    validate = ajv.compile(schema);
    validators.set(version, validate);
  }
  return validate;
}

/** Schema errors for a card against the version it declares; the first few, readable. */
export function cardProblems(card: Record<string, unknown>): string[] {
  if (!SCHEMA_DIR) return [];
  const version = typeof card.version === 'string' ? card.version : '';
  if (!['1.3', '1.4', '1.5', '1.6'].includes(version)) return [`declares version ${version || '(none)'}`];
  const validate = cardValidator(SCHEMA_DIR, version);
  if (validate(card)) return [];
  // anyOf over element types floods the list; the deepest paths say what is wrong.
  const errors = validate.errors ?? [];
  const deepest = Math.max(...errors.map((e) => e.instancePath.split('/').length));
  return errors.filter((e) => e.instancePath.split('/').length === deepest).slice(0, 4).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
