// The bundles the benchmarks run in: a static one (busybox-static, sysbench, mmapfile) and a
// dynamic one (python3 and its libraries) built by the Debian rootfs test fixture, so the
// bench and the e2e tests share one recipe.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** WORK/static/{config.json,rootfs}: /bin/busybox with its applets, /sysbench, /mmapfile (static, from C). */
export function staticBundle(work, sharedBench, benchDir) {
  const dir = path.join(work, 'static');
  const rootfs = path.join(dir, 'rootfs');
  for (const sub of ['bin', 'tmp', 'proc', 'dev', 'etc']) mkdirSync(path.join(rootfs, sub), { recursive: true });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'true', 'cat', 'wc', 'echo', 'rm']) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  execFileSync('gcc', ['-O2', '-static', '-o', path.join(rootfs, 'sysbench'), path.join(sharedBench, 'sysbench.c')]);
  execFileSync('gcc', ['-O2', '-static', '-o', path.join(rootfs, 'mmapfile'), path.join(benchDir, 'mmapfile.c')]);
  return { dir, rootfs };
}

/** WORK/python/config.json around the cached rootfs of test/fixtures/debian-rootfs.ts (python3 only). */
export async function pythonBundle(work, repo) {
  const fixture = await loadFixture(work, repo);
  const dir = path.join(work, 'python');
  mkdirSync(dir, { recursive: true });
  const spec = { programs: ['python3'], trees: fixture.USERLAND.trees.filter((tree) => tree.path.includes('python')) };
  return { dir, rootfs: fixture.debianRootfs(spec) };
}

/** The TypeScript fixture, transpiled (types stripped) with the project's own typescript. */
async function loadFixture(work, repo) {
  const { default: ts } = await import('typescript');
  const source = readFileSync(path.join(repo, 'test', 'fixtures', 'debian-rootfs.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
  const file = path.join(work, 'debian-rootfs.mjs');
  writeFileSync(file, outputText);
  return import(pathToFileURL(file).href);
}
