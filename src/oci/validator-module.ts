// Where the build puts the precompiled config validator: beside the compiled schema-check.js.
export const PRECOMPILED_VALIDATOR_FILE = 'config-validator.generated.js';
export const PRECOMPILED_VALIDATOR_MODULE = `./${PRECOMPILED_VALIDATOR_FILE}`;
