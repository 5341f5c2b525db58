// Writes dist/oci/config-validator.generated.js from the compiled schema (run after tsc).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const { writeConfigValidator } = await import(path.join(dist, 'oci', 'validator-codegen.js'));
const { PRECOMPILED_VALIDATOR_FILE } = await import(path.join(dist, 'oci', 'validator-module.js'));
writeConfigValidator(path.join(dist, PRECOMPILED_VALIDATOR_FILE));
