// Shape checks of a parsed config.json against configSchema, as Problems a user can act on.
// The validator comes precompiled from the build when it matches the schema (loading and
// compiling ajv costs a quarter of a second on every `tssc run`), else compiled here.
import type { ErrorObject } from 'ajv';
import type { Problem } from './errors.js';
import { describeValue, withArticle } from './describe-value.js';
import { AJV_OPTIONS, configSchema, schemaFingerprint } from './schema.js';
import { buildOutputUrl } from '../native/build-output.js';
import { PRECOMPILED_VALIDATOR_FILE } from './validator-module.js';

interface ConfigValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

const validateConfig: ConfigValidator = (await precompiledValidator()) ?? (await compiledValidator());

async function precompiledValidator(): Promise<ConfigValidator | undefined> {
  try {
    const module = (await import(buildOutputUrl(PRECOMPILED_VALIDATOR_FILE).href)) as { validate: ConfigValidator; fingerprint: string };
    return module.fingerprint === schemaFingerprint() ? module.validate : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

async function compiledValidator(): Promise<ConfigValidator> {
  const { Ajv } = await import('ajv');
  return new Ajv(AJV_OPTIONS).compile(configSchema);
}

const PATTERN_MEANINGS: Record<string, string> = {
  '^1\\.[0-9]+\\.[0-9]+': 'must be a 1.x.y runtime-spec version',
  '^[^=]+=': 'must be of the form KEY=value',
};

export function checkSchema(file: string, config: unknown): Problem[] {
  if (validateConfig(config)) return [];
  return (validateConfig.errors ?? []).map((error) => toProblem(file, error));
}

function toProblem(file: string, error: ErrorObject): Problem {
  const got = `, got ${describeValue(error.data)}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { file, pointer: `${error.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
    case 'type':
      return { file, pointer: error.instancePath, message: `must be ${withArticle(String(params.type))}${got}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { file, pointer: error.instancePath, message: `must be one of ${allowed}${got}` };
    }
    case 'pattern': {
      const meaning = PATTERN_MEANINGS[String(params.pattern)] ?? `must match ${String(params.pattern)}`;
      return { file, pointer: error.instancePath, message: meaning + got };
    }
    case 'minimum':
    case 'maximum':
      return { file, pointer: error.instancePath, message: `must be ${String(params.comparison)} ${String(params.limit)}${got}` };
    case 'minLength':
    case 'minItems':
      return { file, pointer: error.instancePath, message: 'must not be empty' };
    default:
      return { file, pointer: error.instancePath, message: `${error.message ?? 'is invalid'}${got}` };
  }
}
