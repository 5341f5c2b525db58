// Non-ASCII in config.json: process.args, env and cwd reach the workload as their UTF-8
// bytes, as under runc (argv, envp, /proc/PID/cmdline and environ, getcwd), so tools
// that count characters or reverse lines see what they would see natively.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync } from 'node:fs';
import { chrootRun, hasBusybox, makeRootfs, removeDir, scratchDir, tsscRun, worldReadableCopy, writeConfig, type RunOptions } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const users = isRoot ? [{ as: 'root', uid: undefined }, { as: 'nobody', uid: NOBODY }] : [{ as: 'the caller', uid: undefined }];

const WORDS = ['é€', 'naïve', 'Ωmega', '日本語'];
const SCRIPT = [
  'printf "%s\\n" "$@" | tac',
  'for w in "$@"; do printf %s "$w" | wc -m; done',
  'printf %s "$GREETING" | od -An -tx1',
  'tr "\\0" "|" < /proc/1/cmdline; echo',
  'tr "\\0" "\\n" < /proc/1/environ | grep GREETING',
  'pwd',
].join('\n');

describe.skipIf(!hasBusybox()).each(users)('UTF-8 in config.json, tssc running as $as', ({ uid }) => {
  let dir: string;
  let rootfs: string;
  let runAs: RunOptions = {};

  beforeAll(() => {
    dir = scratchDir('tssc-utf8-');
    rootfs = makeRootfs(dir);
    mkdirSync(path.join(rootfs, 'data', 'répertoire'));
    if (uid !== undefined) {
      mkdirSync(path.join(dir, 'states'));
      chmodSync(path.join(dir, 'states'), 0o1777);
      runAs = { asUser: uid, tsscDir: worldReadableCopy(path.join(dir, 'tssc')), stateDir: path.join(dir, 'states', 'user') };
    }
  });
  afterAll(() => removeDir(dir));

  it('passes the UTF-8 bytes of args, env and cwd: tac, wc -m, /proc/1/cmdline, environ, pwd', () => {
    writeConfig(dir, {
      args: ['sh', '-c', SCRIPT, 'sh', ...WORDS],
      env: ['PATH=/bin', 'LANG=C.UTF-8', 'GREETING=grüß €'],
      cwd: '/data/répertoire',
    });
    const result = tsscRun(dir, [], runAs);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        '日本語', 'Ωmega', 'naïve', 'é€',
        '2', '5', '5', '3',
        ' 67 72 c3 bc c3 9f 20 e2 82 ac',
        `sh|-c|${SCRIPT}|sh|${WORDS.join('|')}|`,
        'GREETING=grüß €',
        '/data/répertoire',
        '',
      ].join('\n'),
    );
    expect(result.status).toBe(0);
  });

  it.skipIf(!isRoot)('reverses and counts them as busybox does natively', () => {
    const script = 'printf "%s\\n" "$@" | tac; for w in "$@"; do printf %s "$w" | LANG=C.UTF-8 wc -m; done';
    writeConfig(dir, { args: ['sh', '-c', script, 'sh', ...WORDS] });
    const native = chrootRun(rootfs, ['sh', '-c', script, 'sh', ...WORDS]);
    expect(native.status).toBe(0);
    expect(tsscRun(dir, [], runAs)).toEqual(native);
  });
});
