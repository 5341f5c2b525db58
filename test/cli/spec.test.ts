import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkSchema } from '../../src/oci/schema-check.js';
import { runCli } from './run-cli.js';

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

describe('tssc spec', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tssc-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const readConfig = (): Record<string, any> => JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));

  it('writes runsc defaults, field by field', () => {
    const result = runCli(['spec'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const spec = readConfig();
    expect(spec.ociVersion).toBe('1.0.0');
    expect(spec.process.terminal).toBeUndefined();
    expect(spec.process.user).toEqual({ uid: 0, gid: 0 });
    expect(spec.process.args).toEqual(['sh']);
    expect(spec.process.env).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm']);
    expect(spec.process.cwd).toBe('/');
    expect(spec.process.capabilities).toEqual({ bounding: CAPS, effective: CAPS, inheritable: CAPS, permitted: CAPS });
    expect(spec.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(spec.hostname).toBe('tssc');
    expect(spec.mounts).toEqual([
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ]);
    expect(spec.linux).toEqual({
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    });
    expect(checkSchema('config.json', spec)).toEqual([]);
  });

  it('is written as runsc writes it: 4-space indent, trailing newline, mode 0664 before umask', () => {
    runCli(['spec'], { cwd: dir });
    const text = readFileSync(path.join(dir, 'config.json'), 'utf8');
    expect(text.startsWith('{\n    "ociVersion"')).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(statSync(path.join(dir, 'config.json')).mode & 0o777).toBe(0o664 & ~process.umask());
  });

  it('takes the command after --, --cwd and --netns', () => {
    const result = runCli(['spec', '--bundle', dir, '--cwd', '/work', '--netns', '/var/run/netns/x', '--', '/bin/echo', '-n', 'hi']);
    expect(result.status).toBe(0);
    const spec = readConfig();
    expect(spec.process.args).toEqual(['/bin/echo', '-n', 'hi']);
    expect(spec.process.cwd).toBe('/work');
    expect(spec.linux.namespaces[1]).toEqual({ type: 'network', path: '/var/run/netns/x' });
  });

  it('refuses to overwrite an existing config.json and leaves it untouched', () => {
    writeFileSync(path.join(dir, 'config.json'), 'precious');
    const result = runCli(['spec', '-b', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`tssc: ${path.join(dir, 'config.json')} already exists; refusing to overwrite it\n`);
    expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).toBe('precious');
  });

  it('refuses a relative --cwd', () => {
    const result = runCli(['spec', '-b', dir, '--cwd', 'tmp']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('tssc: --cwd must be an absolute path, got "tmp"\n');
  });

  it('names a missing bundle directory', () => {
    const missing = path.join(dir, 'nope');
    const result = runCli(['spec', '-b', missing]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`tssc: bundle directory ${missing} does not exist\n`);
  });

  it('writes a bundle that validates once the rootfs exists', () => {
    mkdirSync(path.join(dir, 'rootfs'));
    runCli(['spec', '-b', dir, '--', '/bin/true']);
    const result = runCli(['validate', '--bundle', dir]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${dir}: valid\n`);
  });
});

describe('tssc usage errors', () => {
  it('reports an unknown command with exit code 1', () => {
    const result = runCli(['frobnicate']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^tssc: unknown command 'frobnicate'/);
  });

  it('reports an unknown option with exit code 1', () => {
    const result = runCli(['spec', '--bogus']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^tssc: unknown option '--bogus'/);
  });

  it('prints help with exit code 0', () => {
    const result = runCli(['--help']);
    expect(result.status).toBe(0);
    for (const command of ['spec', 'validate', 'bundle', 'state', 'list', 'delete']) expect(result.stdout).toContain(command);
  });
});
