import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerStore } from '../../src/oci/state/store.js';
import { runCli } from './run-cli.js';

describe('tssc state, list, delete', () => {
  let root: string;
  let store: ContainerStore;
  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'tssc-cli-state-'));
    store = new ContainerStore(root);
    await store.create({ id: 'alpha', bundle: '/srv/alpha', rootfs: '/srv/alpha/rootfs', status: 'running', pid: process.pid });
    await store.create({ id: 'beta-with-a-long-name', bundle: '/srv/beta', rootfs: '/srv/beta/rootfs', annotations: { k: 'v' } });
    await store.update('beta-with-a-long-name', { status: 'stopped' });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('prints the OCI state of a container', () => {
    const result = runCli(['--root', root, 'state', 'alpha']);
    expect(result.status).toBe(0);
    const state = JSON.parse(result.stdout);
    expect(state).toMatchObject({ ociVersion: '1.2.0', id: 'alpha', pid: process.pid, status: 'running', bundle: '/srv/alpha', rootfs: '/srv/alpha/rootfs' });
    expect(state.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
  });

  it('names a container that does not exist', () => {
    const result = runCli(['--root', root, 'state', 'nope']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('tssc: container nope does not exist\n');
  });

  it('lists as a table, as JSON and quietly', () => {
    const table = runCli(['--root', root, 'list']).stdout.split('\n');
    expect(table[0]).toMatch(/^ID {20}PID {9}STATUS {6}BUNDLE {6}CREATED {18}OWNER$/);
    expect(table[1]).toMatch(new RegExp(`^alpha {17}${process.pid} +running +/srv/alpha +\\S+Z +\\S+$`));
    expect(table[2]).toMatch(/^beta-with-a-long-name +0 +stopped +\/srv\/beta +\S+Z +\S+$/);
    const json = JSON.parse(runCli(['--root', root, 'list', '--format', 'json']).stdout);
    expect(json.map((s: { id: string; status: string }) => [s.id, s.status])).toEqual([
      ['alpha', 'running'],
      ['beta-with-a-long-name', 'stopped'],
    ]);
    expect(json[1].annotations).toEqual({ k: 'v' });
    expect(runCli(['--root', root, 'list', '-q']).stdout).toBe('alpha\nbeta-with-a-long-name\n');
  });

  it('refuses an unknown list format', () => {
    const result = runCli(['--root', root, 'list', '--format', 'yaml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^tssc: option '-f, --format <format>' argument 'yaml' is invalid/);
  });

  it('deletes stopped containers only, and --force of a missing one succeeds', () => {
    let result = runCli(['--root', root, 'delete', 'alpha']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('tssc: cannot delete container alpha that is not stopped: running\n');
    result = runCli(['--root', root, 'delete', 'beta-with-a-long-name']);
    expect(result.status).toBe(0);
    expect(runCli(['--root', root, 'list', '-q']).stdout).toBe('alpha\n');
    expect(runCli(['--root', root, 'delete', 'nope']).stderr).toBe('tssc: container nope does not exist\n');
    expect(runCli(['--root', root, 'delete', '--force', 'nope']).status).toBe(0);
  });

  it('logs failures as JSON to --log, as containerd reads them', () => {
    const log = path.join(root, 'tssc.log');
    const result = runCli(['--root', root, '--log', log, '--log-format', 'json', 'state', 'nope']);
    expect(result.status).toBe(1);
    const entry = JSON.parse(readFileSync(log, 'utf8').trim());
    expect(entry).toMatchObject({ level: 'error', msg: 'container nope does not exist' });
  });
});
