// Where the build puts the precompiled config validator, relative to dist/.
export const PRECOMPILED_VALIDATOR_FILE = 'oci/config-validator.generated.js';
