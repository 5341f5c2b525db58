#!/usr/bin/env node
// Makes a sample OCI bundle to try tssc on: a rootfs with the host's static busybox
// (Debian's busybox-static) and its applets, and a config.json written by `tssc spec`.
// Usage: node scripts/sample-bundle.mjs DIR [-- ARGS...]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const BUSYBOX = '/bin/busybox';
const [dirArg, separator, ...args] = process.argv.slice(2);
if (!dirArg || (separator !== undefined && separator !== '--')) {
  process.stderr.write('usage: node scripts/sample-bundle.mjs DIR [-- ARGS...]\n');
  process.exit(2);
}
if (!existsSync(BUSYBOX)) {
  process.stderr.write(`${BUSYBOX} is missing: install Debian's busybox-static (apt-get install busybox-static)\n`);
  process.exit(1);
}
const bundle = path.resolve(dirArg);
if (existsSync(path.join(bundle, 'config.json'))) {
  process.stderr.write(`${bundle}/config.json exists already: choose an empty directory\n`);
  process.exit(1);
}
const rootfs = path.join(bundle, 'rootfs');
for (const sub of ['bin', 'etc', 'tmp', 'root', 'proc', 'dev', 'sys']) mkdirSync(path.join(rootfs, sub), { recursive: true });
copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
for (const applet of applets) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');

const script = 'echo "hello from $(hostname), pid $$ as $(id -un)"; ls /; ps';
const tssc = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'tssc.js');
execFileSync(process.execPath, [tssc, 'spec', '--bundle', bundle, '--', ...(args.length ? args : ['sh', '-c', script])], { stdio: 'inherit' });
process.stdout.write(`bundle ready: ${bundle}\nrun it with: tssc run --bundle ${bundle} sample\n`);
