// Read-write bind mounts under `tssc run`: a program in the sandbox changes attributes of
// files in the mount (chmod, chown, utimensat, truncate, O_TRUNC) as fast as it can while
// a host process swaps a directory and a file of the mount for symlinks leading out of it, and
// nothing outside the mount changes; a host device node bound into the sandbox is never
// changed (the host's own /dev/null was once found chmod'ed and chown'ed). As tssc's own
// user and as nobody.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TSSC_USERS, hasBusybox, hasCompiler, installFixtures, makeRootfs, removeDir, runAs, scratchDir, tsscRun, writeConfig } from './busybox-bundle.js';

const isRoot = process.getuid?.() === 0;

/** What a change through a followed symlink would show: each entry's attributes, change time and contents. */
function snapshot(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const file = path.join(dir, name);
      const st = lstatSync(file, { bigint: true });
      const contents = st.isFile() ? readFileSync(file, 'latin1') : '';
      return `${name} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeNs} ${st.ctimeNs} ${contents}`;
    })
    .concat(`. ${lstatSync(dir, { bigint: true }).ctimeNs} ${lstatSync(dir).mode.toString(8)}`);
}

function addMounts(dir: string, mounts: object[]): void {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.mounts.push(...mounts);
  writeFileSync(file, JSON.stringify(config));
}

describe.skipIf(!hasBusybox() || !hasCompiler())('read-write bind mounts and the host', () => {
  let dir: string;
  let binaries: Map<string, string>;
  let swapper: string;

  beforeAll(() => {
    dir = scratchDir('tssc-host-mounts-');
    binaries = installFixtures(makeRootfs(dir), ['attr-race']);
    swapper = path.join(dir, 'swap-names');
    execFileSync('gcc', ['-O2', '-o', swapper, path.join(REPO, 'test', 'e2e', 'fixtures', 'swap-names.c')]);
  });
  afterAll(() => removeDir(dir));

  for (const { name: user, uid } of TSSC_USERS) {
    for (const linkage of ['static', 'dynamic'] as const) {
      it(`a directory or file swapped for a symlink out of the mount is never followed (${linkage}, as ${user})`, async () => {
        const run = path.join(dir, `race-${linkage}-${uid ?? 'own'}`);
        const bind = path.join(run, 'bind');
        const outside = path.join(run, 'outside');
        // Everything writable by anyone: only the sandbox's rules may stop a change here.
        for (const d of [run, bind, path.join(bind, 'd'), outside]) {
          mkdirSync(d, { recursive: true });
          chmodSync(d, 0o777);
        }
        for (const file of [path.join(bind, 'd', 'f'), path.join(outside, 'f')]) {
          writeFileSync(file, 'contents');
          chmodSync(file, 0o666);
        }
        writeFileSync(path.join(bind, 'g'), 'contents');
        chmodSync(path.join(bind, 'g'), 0o666);
        symlinkSync('../outside', path.join(bind, 'other'));
        symlinkSync('../outside/f', path.join(bind, 'g-link'));
        const before = snapshot(outside);
        writeConfig(dir, { args: [`/bin/attr-race-${linkage}`, '2', '/mnt/d', '/mnt/d/f', '/mnt/other', '/mnt/other/f', '/mnt/g', '/mnt/g-link'], uid: 0 });
        addMounts(dir, [{ destination: '/mnt', type: 'bind', source: bind, options: ['rbind', 'rw'] }]);
        const swapping = spawn(swapper, [bind, 'd', 'other', 'g', 'g-link'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let swaps = '';
        swapping.stdout.on('data', (chunk: Buffer) => (swaps += chunk.toString()));
        const ended = new Promise((resolve) => swapping.on('close', resolve));
        try {
          const result = tsscRun(dir, [], runAs(dir, uid));
          expect(result).toEqual({ status: 0, stdout: 'changed attributes\n', stderr: '' });
        } finally {
          swapping.kill('SIGTERM');
          await ended;
        }
        expect(Number(swaps)).toBeGreaterThan(0);
        expect(snapshot(outside)).toEqual(before);
      });
    }
  }

  it.skipIf(!isRoot)('a host device node bound into the sandbox is never changed', () => {
    // A node of its own with the null device's numbers: no test ever aims at the host's /dev/null.
    const devs = path.join(dir, 'devs');
    mkdirSync(devs);
    execFileSync('mknod', [path.join(devs, 'null'), 'c', '1', '3']);
    chmodSync(path.join(devs, 'null'), 0o666);
    const before = snapshot(devs);
    const script = [
      'chmod 600 /devnull; echo "chmod $?"',
      'chown 65534:65534 /devnull; echo "chown $?"',
      'touch -d @1 /hostdev/null; echo "touch $?"',
      'chmod 644 /hostdev/null; echo "chmod $?"',
      'echo written > /devnull; echo "write $?"',
      'stat -c "%F %a %t:%T" /devnull',
    ].join('; ');
    writeConfig(dir, { args: ['sh', '-c', script] });
    addMounts(dir, [
      { destination: '/devnull', type: 'bind', source: path.join(devs, 'null'), options: ['bind', 'rw'] },
      { destination: '/hostdev', type: 'bind', source: devs, options: ['rbind', 'rw'] },
    ]);
    const result = tsscRun(dir);
    expect(result.stdout).toBe(['chmod 1', 'chown 1', 'touch 1', 'chmod 1', 'write 0', 'character special file 666 1:3', ''].join('\n'));
    expect(result.stderr).toMatch(/chmod: \/devnull: Operation not permitted/);
    expect(snapshot(devs)).toEqual(before);
  });
});
