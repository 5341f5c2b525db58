// `tssc do`, as `runsc do`: a host command in a sandbox whose root is the host's, read-only
// under a memory layer, in the caller's directory, as the caller. Writes never reach the
// host; the exit status is the command's. Also as an unprivileged user.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, REPO, removeDir, scratchDir, worldReadableCopy } from './busybox-bundle.js';

const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

let scratch: string;

function tsscDo(tsscDir: string, args: readonly string[], asNobody = false) {
  const command = [process.execPath, path.join(tsscDir, 'bin', 'tssc.js'), '--root', path.join(scratch, asNobody ? 'state-nobody' : 'state'), 'do', ...args];
  const argv = asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...command] : command;
  return spawnSync(argv[0]!, argv.slice(1), { cwd: path.join(scratch, 'work'), encoding: 'utf8', timeout: 60_000, env: { PATH: '/usr/bin:/bin', HOME: '/' } });
}

describe.skipIf(!hasBusybox())('tssc do', () => {
  beforeAll(() => {
    scratch = scratchDir('tssc-do-');
    spawnSync('mkdir', ['-m', '1777', path.join(scratch, 'work')]);
    writeFileSync(path.join(scratch, 'work', 'notes.txt'), 'from the host\n');
  });
  afterAll(() => removeDir(scratch));

  it('runs a host command in the caller\'s directory; its writes stay in the sandbox', () => {
    const result = tsscDo(REPO, ['--', '/bin/sh', '-c', 'pwd; cat notes.txt; echo changed > notes.txt; echo new > /etc/tssc-do-probe; cat notes.txt /etc/tssc-do-probe; exit 4']);
    expect(result).toMatchObject({ status: 4, stdout: `${path.join(scratch, 'work')}\nfrom the host\nchanged\nnew\n`, stderr: '' });
    expect(existsSync('/etc/tssc-do-probe')).toBe(false);
    expect(spawnSync('cat', [path.join(scratch, 'work', 'notes.txt')], { encoding: 'utf8' }).stdout).toBe('from the host\n');
    expect(tsscDo(REPO, ['--network', 'bogus', 'true']).stderr).toBe('tssc: --network bogus: expected one of none, sandbox, host\n');
  });

  it.skipIf(!canSetpriv)('runs as the calling user, who may not write what the host forbids it', () => {
    const copy = worldReadableCopy(path.join(scratch, 'tssc'));
    mkdirSync(path.join(scratch, 'state-nobody'), { mode: 0o700 });
    chownSync(path.join(scratch, 'state-nobody'), 65534, 65534);
    const result = tsscDo(copy, ['--', '/bin/sh', '-c', 'id -u; id -g; echo x > /etc/passwd || echo refused; echo mine > here.txt && cat here.txt'], true);
    expect(result).toMatchObject({ status: 0, stdout: '65534\n65534\nrefused\nmine\n' });
    expect(result.stderr).toMatch(/Permission denied/);
    expect(existsSync(path.join(scratch, 'work', 'here.txt'))).toBe(false);
  });
});
