import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../src/oci/default-spec.js';
import { AJV_OPTIONS, configSchema, schemaFingerprint } from '../../src/oci/schema.js';
import { REPO } from '../cli/run-cli.js';

interface Validator {
  (data: unknown): boolean;
  errors?: unknown[] | null;
}

describe('precompiled config validator', () => {
  it('is built from the current schema and judges configs as ajv does', async () => {
    const build = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'build-config-validator.mjs')], { encoding: 'utf8' });
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const generated = (await import(path.join(REPO, 'dist', 'oci', 'config-validator.generated.js'))) as {
      validate: Validator;
      fingerprint: string;
    };
    expect(generated.fingerprint).toBe(schemaFingerprint());
    const compiled: Validator = new Ajv(AJV_OPTIONS).compile(configSchema);
    const bad = { ...defaultSpec(), ociVersion: 2, root: { path: '' }, process: { user: { uid: -1 }, cwd: 3, rlimits: [{ type: 'X' }] } };
    for (const config of [defaultSpec(), bad, [], null]) {
      expect(generated.validate(config)).toBe(compiled(config));
      expect(generated.validate.errors).toEqual(compiled.errors);
    }
  });
});
