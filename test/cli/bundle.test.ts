import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filesToTar, ociLayoutFiles } from '../fixtures/images.js';
import { tarBuffer } from '../fixtures/tar-builder.js';
import { runCli } from './run-cli.js';

describe('tssc bundle create', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'tssc-cli-bundle-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('reads SRC from standard input with --from -', async () => {
    const image = await filesToTar(ociLayoutFiles({ Cmd: ['/bin/app'] }, [await tarBuffer([{ name: 'bin/app', content: 'x', mode: 0o755 }])]));
    const result = runCli(['bundle', 'create', path.join(work, 'b'), '--from', '-'], { input: image, cwd: work });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(readFileSync(path.join(work, 'b', 'config.json'), 'utf8')).process.args).toEqual(['/bin/app']);
    expect(readFileSync(path.join(work, 'b', 'rootfs', 'bin', 'app'), 'utf8')).toBe('x');
  });

  it('shows a hostile entry as the user sees it, exit 1', async () => {
    writeFileSync(path.join(work, 'evil.tar'), await tarBuffer([{ name: '../escape', content: 'x' }]));
    const result = runCli(['bundle', 'create', 'b', '--from', 'evil.tar'], { cwd: work });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('tssc: evil.tar: refusing tar entry "../escape": ".." would lead outside the rootfs\n');
  });

  it('requires --from', () => {
    const result = runCli(['bundle', 'create', path.join(work, 'b')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("tssc: required option '--from <src>' not specified\n");
  });
});
