import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkBundle, loadBundle } from '../../src/oci/bundle.js';
import { defaultSpec } from '../../src/oci/default-spec.js';
import { formatProblem, InvalidBundleError } from '../../src/oci/errors.js';

type Json = Record<string, any>;

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

describe('config.json validation', () => {
  let bundle: string;
  beforeEach(() => {
    bundle = mkdtempSync(path.join(tmpdir(), 'tssc-config-'));
    mkdirSync(path.join(bundle, 'rootfs'));
  });
  afterEach(() => rmSync(bundle, { recursive: true, force: true }));

  /** The messages a user sees for a config made by editing the default spec. */
  const problemsOf = (edit: (spec: Json) => void): string[] => {
    const spec = JSON.parse(JSON.stringify(defaultSpec())) as Json;
    edit(spec);
    writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    const result = checkBundle(bundle);
    return result.ok ? [] : result.problems.map(formatProblem);
  };

  it('accepts the default spec and returns absolute locations', () => {
    expect(problemsOf(() => undefined)).toEqual([]);
    const loaded = loadBundle(bundle);
    expect(loaded.dir).toBe(bundle);
    expect(loaded.rootfs).toBe(path.join(bundle, 'rootfs'));
    expect(loaded.configPath).toBe(path.join(bundle, 'config.json'));
    expect(loaded.rootfsMetaPath).toBe(path.join(bundle, 'tssc-rootfs-meta.json'));
    expect(loaded.spec.process.args).toEqual(['sh']);
  });

  it.each(['runc-spec.json', 'containerd-spec.json'])('accepts a real-world %s', (fixture) => {
    const text = readFileSync(path.join(FIXTURES, fixture), 'utf8');
    expect(problemsOf((s) => Object.assign(s, JSON.parse(text)))).toEqual([]);
  });

  it('tolerates unknown fields, as runc does', () => {
    expect(
      problemsOf((s) => {
        s.vendorThing = { a: 1 };
        s.process.apparmorProfile = 'x';
        s.linux.cgroupsPath = '/x';
      }),
    ).toEqual([]);
  });

  it('reports a missing config.json and invalid JSON with its line', () => {
    let result = checkBundle(bundle);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      `config.json: not found at ${path.join(bundle, 'config.json')}`,
    ]);
    writeFileSync(path.join(bundle, 'config.json'), '{\n  "ociVersion": "1.0.0",\n}\n');
    result = checkBundle(bundle);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      'config.json: invalid JSON: Expected double-quoted property name at line 3 column 1',
    ]);
  });

  it('names required fields that are missing', () => {
    expect(
      problemsOf((s) => {
        delete s.ociVersion;
        delete s.root;
        delete s.process.cwd;
        delete s.process.user.uid;
        delete s.process.args;
      }),
    ).toEqual([
      'config.json: /ociVersion: is required',
      'config.json: /root: is required',
      'config.json: /process/cwd: is required',
      'config.json: /process/user/uid: is required',
      'config.json: /process/args: is required (the program to run)',
    ]);
  });

  it('reports wrong types with what was found', () => {
    expect(
      problemsOf((s) => {
        s.process.args = 'sh';
        s.process.terminal = 'yes';
        s.process.user.uid = -1;
        s.process.user.gid = 1.5;
        s.mounts = {};
        s.hostname = 42;
        s.annotations = { a: 1 };
      }),
    ).toEqual([
      'config.json: /process/terminal: must be a boolean, got "yes"',
      'config.json: /process/user/uid: must be >= 0, got -1',
      'config.json: /process/user/gid: must be an integer, got 1.5',
      'config.json: /process/args: must be an array, got "sh"',
      'config.json: /hostname: must be a string, got 42',
      'config.json: /mounts: must be an array, got an object',
      'config.json: /annotations/a: must be a string, got 1',
    ]);
  });

  it('requires a non-empty args naming a program', () => {
    expect(problemsOf((s) => (s.process.args = []))).toEqual([
      'config.json: /process/args: must not be empty: it names the program to run',
    ]);
    expect(problemsOf((s) => (s.process.args = ['']))).toEqual(['config.json: /process/args/0: must name the program to run, got ""']);
  });

  it('requires absolute cwd, mount destinations, hook paths and namespace paths', () => {
    expect(
      problemsOf((s) => {
        s.process.cwd = 'tmp';
        s.mounts.push({ destination: 'data', type: 'bind', source: '/srv' });
        s.hooks = { prestart: [{ path: 'hook.sh' }] };
        s.linux.namespaces[1].path = 'netns';
      }),
    ).toEqual([
      'config.json: /process/cwd: must be an absolute path, got "tmp"',
      'config.json: /mounts/3/destination: must be an absolute path, got "data"',
      'config.json: /hooks/prestart/0/path: must be an absolute path, got "hook.sh"',
      'config.json: /linux/namespaces/1/path: must be an absolute path, got "netns"',
    ]);
  });

  it('checks that root.path is a directory, relative to the bundle', () => {
    rmSync(path.join(bundle, 'rootfs'), { recursive: true });
    expect(problemsOf(() => undefined)).toEqual([
      `config.json: /root/path: root filesystem ${path.join(bundle, 'rootfs')} does not exist`,
    ]);
    writeFileSync(path.join(bundle, 'rootfs'), '');
    expect(problemsOf(() => undefined)).toEqual([`config.json: /root/path: ${path.join(bundle, 'rootfs')} is not a directory`]);
    mkdirSync(path.join(bundle, 'other'));
    expect(problemsOf((s) => (s.root.path = path.join(bundle, 'other')))).toEqual([]);
  });

  it('knows namespace types and refuses duplicates', () => {
    expect(
      problemsOf((s) => {
        s.linux.namespaces.push({ type: 'pid' }, { type: 'bogus' });
      }),
    ).toEqual([
      'config.json: /linux/namespaces/6/type: must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", got "bogus"',
      'config.json: /linux/namespaces/5/type: duplicate namespace "pid" (also at /linux/namespaces/0)',
    ]);
  });

  it('refuses a hostname without a uts namespace, as runc does', () => {
    expect(problemsOf((s) => (s.linux.namespaces = [{ type: 'pid' }]))).toEqual([
      'config.json: /hostname: cannot be set without a private "uts" namespace in /linux/namespaces',
    ]);
  });

  it('checks rlimit names and soft <= hard', () => {
    expect(
      problemsOf((s) => {
        s.process.rlimits = [
          { type: 'RLIMIT_NOFILES', hard: 1, soft: 1 },
          { type: 'RLIMIT_CORE', hard: 1, soft: 2 },
          { type: 'RLIMIT_CORE', hard: 3, soft: 3 },
        ];
      }),
    ).toEqual([
      expect.stringMatching(/^config\.json: \/process\/rlimits\/0\/type: must be one of "RLIMIT_CPU", .*, got "RLIMIT_NOFILES"$/),
      'config.json: /process/rlimits/1/soft: must not exceed the hard limit 1, got 2',
      'config.json: /process/rlimits/2/type: duplicate rlimit RLIMIT_CORE (also at /process/rlimits/1)',
    ]);
  });

  it('checks env entries, ociVersion, umask and consoleSize', () => {
    expect(
      problemsOf((s) => {
        s.ociVersion = '0.9';
        s.process.env.push('NOEQUALS');
        s.process.user.umask = 0o10000;
        s.process.consoleSize = { height: 10 };
        s.process.user.additionalGids = [1, 'wheel'];
      }),
    ).toEqual([
      'config.json: /ociVersion: must be a 1.x.y runtime-spec version, got "0.9"',
      'config.json: /process/consoleSize/width: is required',
      'config.json: /process/user/umask: must be <= 4095, got 4096',
      'config.json: /process/user/additionalGids/1: must be an integer, got "wheel"',
      'config.json: /process/env/2: must be of the form KEY=value, got "NOEQUALS"',
    ]);
  });

  it('checks seccomp, resources and hooks shapes', () => {
    expect(
      problemsOf((s) => {
        s.linux.seccomp = { defaultAction: 'SCMP_ACT_NOPE', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW', args: [{ index: 7, value: 1, op: 'SCMP_CMP_EQ' }] }] };
        s.linux.resources = { memory: { limit: 'lots' }, pids: {} };
        s.hooks = { poststop: [{ args: [] }] };
      }),
    ).toEqual([
      expect.stringMatching(/^config\.json: \/hooks\/poststop\/0\/path: is required$/),
      'config.json: /linux/resources/memory/limit: must be an integer, got "lots"',
      'config.json: /linux/resources/pids/limit: is required',
      expect.stringMatching(/^config\.json: \/linux\/seccomp\/defaultAction: must be one of "SCMP_ACT_KILL", .*, got "SCMP_ACT_NOPE"$/),
      'config.json: /linux/seccomp/syscalls/0/names: must not be empty',
      'config.json: /linux/seccomp/syscalls/0/args/0/index: must be <= 5, got 7',
    ]);
  });

  it('loadBundle throws every problem at once', () => {
    problemsOf((s) => {
      s.process.cwd = 'x';
      s.mounts[0].destination = 'proc';
    });
    expect(() => loadBundle(bundle)).toThrow(InvalidBundleError);
    try {
      loadBundle(bundle);
    } catch (error) {
      expect((error as InvalidBundleError).problems).toHaveLength(2);
      expect((error as Error).message).toBe(
        `invalid bundle ${bundle}:\n` +
          '  config.json: /process/cwd: must be an absolute path, got "x"\n' +
          '  config.json: /mounts/0/destination: must be an absolute path, got "proc"',
      );
    }
  });
});
