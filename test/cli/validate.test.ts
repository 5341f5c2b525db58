import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultSpec } from '../../src/oci/default-spec.js';
import { runCli } from './run-cli.js';

describe('tssc validate', () => {
  let bundle: string;
  beforeEach(() => {
    bundle = mkdtempSync(path.join(tmpdir(), 'tssc-validate-'));
  });
  afterEach(() => rmSync(bundle, { recursive: true, force: true }));

  it('prints every problem of config and rootfs at once, and exits 1', () => {
    const spec: Record<string, any> = defaultSpec({ cwd: '/' });
    spec.process.cwd = 'tmp';
    spec.process.args = [];
    spec.linux.namespaces.push({ type: 'nets' });
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    writeFileSync(
      path.join(bundle, 'tssc-rootfs-meta.json'),
      JSON.stringify({ version: 2, entries: { 'dev/null': { type: 'x', mode: 0o10000 }, '/dev/tty': { type: 'c' } } }),
    );
    const result = runCli(['validate', '--bundle', bundle]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')).toEqual([
      'config.json: /linux/namespaces/5/type: must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", got "nets"',
      'config.json: /process/args: must not be empty: it names the program to run',
      'config.json: /process/cwd: must be an absolute path, got "tmp"',
      `config.json: /root/path: root filesystem ${path.join(bundle, 'rootfs')} does not exist`,
      'tssc-rootfs-meta.json: /version: must be 1, got 2',
      'tssc-rootfs-meta.json: /entries/dev~1null: key must be an absolute path in the rootfs',
      'tssc-rootfs-meta.json: /entries/dev~1null/type: must be one of "c", "b", "p", got "x"',
      'tssc-rootfs-meta.json: /entries/dev~1null/mode: must be an integer from 0 to 4095, got 4096',
      'tssc-rootfs-meta.json: /entries/~1dev~1tty: a device needs major and minor',
      `tssc: ${bundle}: 9 problems`,
      '',
    ]);
  });

  it('reports a config.json that is not JSON', () => {
    mkdirSync(path.join(bundle, 'rootfs'));
    writeFileSync(path.join(bundle, 'config.json'), '{"ociVersion": "1.0.0",');
    const result = runCli(['validate', '-b', bundle]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^config\.json: invalid JSON: .*\ntssc: .*: 1 problem\n$/);
  });
});

describe('tssc validate --format json', () => {
  let bundle: string;
  beforeEach(() => {
    bundle = mkdtempSync(path.join(tmpdir(), 'tssc-validate-json-'));
  });
  afterEach(() => rmSync(bundle, { recursive: true, force: true }));

  it('prints the problems as JSON for tools, exit 1 when invalid', () => {
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify({ ...defaultSpec(), hostname: 7 }));
    const result = runCli(['validate', '-b', bundle, '--format', 'json']);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      bundle,
      valid: false,
      problems: [
        { file: 'config.json', pointer: '/hostname', message: 'must be a string, got 7' },
        { file: 'config.json', pointer: '/root/path', message: `root filesystem ${path.join(bundle, 'rootfs')} does not exist` },
      ],
    });
  });

  it('says valid, exit 0', () => {
    mkdirSync(path.join(bundle, 'rootfs'));
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(defaultSpec()));
    const result = runCli(['validate', '-b', bundle, '-f', 'json']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ bundle, valid: true, problems: [] });
  });
});
