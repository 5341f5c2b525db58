import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/oci/state/lock.js';
import { checkPrivate, defaultStateRoot, prepareStateRoot } from '../../src/oci/state/state-root.js';
import { ContainerStore } from '../../src/oci/state/store.js';
import { REPO } from '../cli/run-cli.js';

const WORKER = path.join(REPO, 'test', 'fixtures', 'state-worker.mjs');
const DIST = path.join(REPO, 'dist');

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function runWorkers(root: string, id: string, mode: string, count: number, rounds: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, () => {
      return new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [WORKER, DIST, root, id, mode, String(rounds)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker ${mode} exited ${code}: ${err}`))));
      });
    }),
  );
}

describe('container store', () => {
  let root: string;
  let store: ContainerStore;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'tssc-state-'));
    store = new ContainerStore(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('walks the lifecycle and prints OCI state', async () => {
    await store.create({ id: 'web-1', bundle: '/srv/b', rootfs: '/srv/b/rootfs', annotations: { a: 'b' } });
    expect(store.read('web-1').status).toBe('creating');
    await store.update('web-1', { status: 'created', pid: process.pid });
    const created = store.state('web-1');
    expect(created).toMatchObject({ ociVersion: '1.2.0', id: 'web-1', pid: process.pid, status: 'created', bundle: '/srv/b', annotations: { a: 'b' } });
    expect(Object.keys(created).slice(0, 4)).toEqual(['ociVersion', 'id', 'pid', 'status']);
    await store.update('web-1', { status: 'running' });
    expect(store.state('web-1').status).toBe('running');
    await store.update('web-1', { status: 'stopped' });
    expect(store.state('web-1')).toMatchObject({ status: 'stopped', pid: 0 });
  });

  it('refuses moves the lifecycle forbids', async () => {
    await store.create({ id: 'c', bundle: '/b', rootfs: '/b/rootfs', status: 'running', pid: process.pid });
    await expect(store.update('c', { status: 'created' })).rejects.toThrow('container c is running: it cannot become created');
  });

  it('reads a created or running container whose process died as stopped', async () => {
    await store.create({ id: 'gone', bundle: '/b', rootfs: '/b/rootfs', status: 'running', pid: deadPid() });
    expect(store.read('gone').status).toBe('stopped');
    expect(store.state('gone').pid).toBe(0);
  });

  it('refuses duplicate and invalid ids, and names missing containers', async () => {
    await store.create({ id: 'dup', bundle: '/b', rootfs: '/b/rootfs' });
    await expect(store.create({ id: 'dup', bundle: '/b', rootfs: '/b/rootfs' })).rejects.toThrow('container with id dup already exists');
    await expect(store.create({ id: '../x', bundle: '/b', rootfs: '/b/rootfs' })).rejects.toThrow(
      'invalid container id "../x": only letters, digits, "_", "+", "-" and "." are allowed',
    );
    await expect(store.create({ id: '..', bundle: '/b', rootfs: '/b/rootfs' })).rejects.toThrow('invalid container id ".."');
    expect(() => store.read('nope')).toThrow('container nope does not exist');
  });

  it('deletes only stopped containers unless forced, and force kills the process', async () => {
    const sleeper = spawn('sleep', ['60']);
    const exit = new Promise((resolve) => sleeper.on('exit', (_code, signal) => resolve(signal)));
    const pid = sleeper.pid ?? 0;
    await store.create({ id: 'live', bundle: '/b', rootfs: '/b/rootfs', status: 'running', pid });
    await expect(store.remove('live')).rejects.toThrow('cannot delete container live that is not stopped: running');
    await store.remove('live', { force: true });
    expect(existsSync(path.join(root, 'live.tssc-state'))).toBe(false);
    expect(await exit).toBe('SIGKILL');
  });

  it('deletes a created container without --force, killing its process, as runc does', async () => {
    const sleeper = spawn('sleep', ['60']);
    const exit = new Promise((resolve) => sleeper.on('exit', (_code, signal) => resolve(signal)));
    await store.create({ id: 'made', bundle: '/b', rootfs: '/b/rootfs', status: 'created', pid: sleeper.pid ?? 0 });
    await store.remove('made');
    expect(await exit).toBe('SIGKILL');
    expect(() => store.read('made')).toThrow('container made does not exist');
  });

  it('lists containers sorted, skipping lock files, stray files and broken records', async () => {
    await store.create({ id: 'b', bundle: '/b', rootfs: '/b/rootfs' });
    await store.create({ id: 'a', bundle: '/a', rootfs: '/a/rootfs' });
    writeFileSync(path.join(root, 'stray'), '');
    mkdirSync(path.join(root, 'runc-container'));
    writeFileSync(path.join(root, 'runc-container', 'state.json'), '{}');
    writeFileSync(path.join(root, 'broken.tssc-state'), '{"id":');
    expect(store.list().map((r) => r.id)).toEqual(['a', 'b']);
    expect(() => store.read('broken')).toThrow(/^container broken: unreadable state file .*broken\.tssc-state: /);
  });

  it('breaks a lock left by a dead process', async () => {
    writeFileSync(path.join(root, 'x.tssc-lock'), `${deadPid()} 1\n`);
    await store.create({ id: 'x', bundle: '/b', rootfs: '/b/rootfs' });
    expect(store.read('x').id).toBe('x');
  });

  it('makes a second locker wait for the first', async () => {
    const lockPath = path.join(root, 'lock');
    const first = await acquireLock(lockPath, 'test');
    const order: string[] = [];
    const second = acquireLock(lockPath, 'test').then((lock) => {
      order.push('second');
      lock.release();
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    order.push('first released');
    first.release();
    await second;
    expect(order).toEqual(['first released', 'second']);
  });

  it('keeps mutual exclusion across processes', async () => {
    writeFileSync(path.join(root, 'counter'), '0');
    await runWorkers(root, 'shared', 'count', 6, 15);
    expect(readFileSync(path.join(root, 'counter'), 'utf8')).toBe(String(6 * 15));
  });

  it('never shows a torn record to concurrent readers', async () => {
    await store.create({ id: 'hot', bundle: '/b', rootfs: '/b/rootfs' });
    await Promise.all([runWorkers(root, 'hot', 'rewrite', 4, 25), runWorkers(root, 'hot', 'read', 2, 300)]);
    expect(store.read('hot').status).toBe('creating');
    expect(readFileSync(path.join(root, 'hot.tssc-state'), 'utf8')).toMatch(/^\{.*\}\n$/);
  });

  it('lets exactly one of many concurrent creates win', async () => {
    const outputs = (await runWorkers(root, 'race', 'create', 6, 1)).map((o) => o.trim());
    expect(outputs.filter((o) => o === 'created')).toHaveLength(1);
    expect(outputs.filter((o) => o === 'container with id race already exists')).toHaveLength(5);
  });
});

describe('state root', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tssc-root-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults as runc: /run for root, XDG_RUNTIME_DIR, else a private dir in /tmp', () => {
    expect(defaultStateRoot({}, 0)).toEqual({ dir: '/run/tssc', shared: false });
    expect(defaultStateRoot({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000)).toEqual({ dir: '/run/user/1000/tssc', shared: false });
    expect(defaultStateRoot({}, 1000)).toEqual({ dir: '/tmp/tssc-1000', shared: true });
  });

  it('creates --root with mode 0700', () => {
    const root = prepareStateRoot(path.join(dir, 'state'));
    expect(root).toBe(path.join(dir, 'state'));
    expect(existsSync(root)).toBe(true);
  });

  it('refuses a shared-tmp root another user owns or can enter', () => {
    const euid = process.geteuid?.() ?? 0;
    const mine = path.join(dir, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    expect(() => checkPrivate(mine, euid)).not.toThrow();
    expect(() => checkPrivate(mine, euid + 1)).toThrow(`refusing state directory ${mine}: owned by uid ${euid}, not by you (uid ${euid + 1})`);
    chmodSync(mine, 0o755);
    expect(() => checkPrivate(mine, euid)).toThrow(`refusing state directory ${mine}: mode 0755 lets other users in (want 0700)`);
    if (euid === 0) {
      chownSync(mine, 65534, 65534);
      chmodSync(mine, 0o700);
      expect(() => checkPrivate(mine, 0)).toThrow('owned by uid 65534, not by you (uid 0)');
    }
  });
});
