// tssc under podman, as docs/podman.md sets it up: a containers.conf whose [engine] names
// tssc as the runtime, private storage, and podman driving tssc through conmon exactly as
// it drives runc (create, start, state, exec, kill, delete), terminals included.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageArchive } from '../fixtures/oci-image.mjs';
import { TSSC } from '../cli/run-cli.js';
import { hasPython, INTERRUPTED_JOBS, TYPIST_PROMPT, typist } from '../cli/lifecycle-fixture.js';
import { hasBusybox, makeRootfs, removeDir, scratchDir } from './busybox-bundle.js';

const IMAGE = 'docker.io/library/tssc-busybox:e2e';
const hasPodman = process.getuid?.() === 0 && spawnSync('podman', ['--version']).status === 0;
const hasScript = spawnSync('script', ['--version']).status === 0;

let scratch: string;
let env: NodeJS.ProcessEnv;
let storage: string[];

function podman(args: readonly string[], input = '') {
  return spawnSync('podman', [...storage, ...args], { input, env, encoding: 'utf8', timeout: 120_000 });
}

describe.skipIf(!hasPodman || !hasBusybox())('podman drives tssc through conmon', () => {
  beforeAll(() => {
    scratch = scratchDir('tssc-podman-');
    // The runtime entry of docs/podman.md.
    const containersConf = path.join(scratch, 'containers.conf');
    writeFileSync(containersConf, `[engine]\nruntime = "tssc"\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n\n[engine.runtimes]\ntssc = ["${TSSC}"]\n`);
    env = { ...process.env, CONTAINERS_CONF: containersConf };
    storage = ['--root', path.join(scratch, 'graph'), '--runroot', path.join(scratch, 'run'), '--storage-driver', 'vfs', '--tmpdir', path.join(scratch, 'tmp')];
    const rootfs = makeRootfs(path.join(scratch, 'image'));
    const loaded = podman(['load', '--input', imageArchive(scratch, rootfs, IMAGE, { Env: ['PATH=/bin'], Cmd: ['sh'] })]);
    expect(loaded.status).toBe(0);
  });
  afterAll(() => {
    podman(['rm', '--all', '--force']);
    removeDir(scratch);
  });

  it('prints the command\'s output and returns its exit code; -i passes stdin', () => {
    const result = podman(['run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', 'echo out; exit 7']);
    expect(result).toMatchObject({ status: 7, stdout: 'out\n' });
    expect(podman(['info', '--format', '{{.Host.OCIRuntime.Name}}']).stdout.trim()).toBe('tssc');
    expect(podman(['run', '--rm', '-i', '--network', 'none', IMAGE, 'sh', '-c', 'read line; echo "got $line"'], 'piped\n')).toMatchObject({ status: 0, stdout: 'got piped\n' });
  });

  it.skipIf(!hasScript)('gives -t a terminal whose size is the caller\'s', () => {
    const waitForSize = 'while [ -z "$(stty size 2>/dev/null)" ]; do sleep 0.1; done; stty size; exit 6';
    const command = ['podman', ...storage, 'run', '--rm', '-t', '--network', 'none', IMAGE, 'sh', '-c', waitForSize].map((word) => `'${word}'`).join(' ');
    const result = spawnSync('script', ['-qec', `stty rows 21 cols 77; ${command}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env, encoding: 'utf8', timeout: 120_000 });
    expect(result.stdout).toContain('21 77');
    expect(result.status).toBe(6);
  });

  // Many calls through the shim or conmon: minutes on a loaded machine.
  it('runs a detached container that podman stop ends through its SIGTERM handler, and rm removes', async () => {
    const started = podman(['run', '-d', '--name', 'stopper', '--network', 'none', IMAGE, 'sh', '-c', 'trap "echo term; exit 0" TERM; sleep 1000 & while true; do wait $!; done']);
    expect(started.status).toBe(0);
    expect(podman(['ps', '--format', '{{.Names}} {{.Status}}']).stdout).toMatch(/^stopper Up/m);
    const exec = podman(['exec', '-i', '-e', 'WHO=podman', 'stopper', 'sh', '-c', 'read line; echo "$WHO exec got $line, ppid $PPID"; exit 4'], 'piped\n');
    expect(exec).toMatchObject({ status: 4, stdout: 'podman exec got piped, ppid 0\n' });
    if (hasPython) {
      // exec -it: conmon's console socket gets the pty master; ^C, ^Z and ^\\ typed at podman
      // reach the foreground job of the exec'd shell, which exits with its own status.
      const shell = ['env', `CONTAINERS_CONF=${env.CONTAINERS_CONF}`, 'podman', ...storage, 'exec', '-it', '-e', `PS1=${TYPIST_PROMPT}`, 'stopper', 'sh'];
      const typed = await typist([['wait', TYPIST_PROMPT], ['type', '[ -t 0 ] && [ -t 1 ] && echo "a term""inal"\r'], ['wait', 'a terminal'], ...INTERRUPTED_JOBS], shell).report();
      expect(typed).toMatchObject({ failed: null, status: 3 });
      expect(typed.output).toMatch(/status=130[^]*Stopped[^]*again4[^]*status=131/);
    }
    expect(podman(['stop', '--time', '10', 'stopper'])).toMatchObject({ status: 0, stdout: 'stopper\n' });
    expect(podman(['logs', 'stopper']).stdout).toBe('term\n');
    expect(podman(['ps', '--all', '--format', '{{.Names}} {{.Status}}']).stdout).toMatch(/^stopper Exited \(0\)/m);
    expect(podman(['rm', 'stopper']).status).toBe(0);
  }, 180_000);
});
