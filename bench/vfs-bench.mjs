// Path lookups and small reads through the VFS, operations per second, next to the same
// calls made directly on the host with node:fs.
// Run: npm run build:ts && node bench/vfs-bench.mjs
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createVfs, Registry } from '../dist/vfs/index.js';

const O_RDONLY = 0;
const O_CREAT = 0o100;
const O_WRONLY = 1;
const DURATION_MS = Number(process.env.BENCH_MS ?? 1000);

const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-vfs-bench-'));
const rootfs = path.join(bundle, 'rootfs');
const deepDir = path.join(rootfs, 'usr/lib/x86_64-linux-gnu/gconv');
fs.mkdirSync(deepDir, { recursive: true });
fs.mkdirSync(path.join(rootfs, 'tmp'));
fs.mkdirSync(path.join(rootfs, 'mnt'));
fs.writeFileSync(path.join(deepDir, 'small.so'), Buffer.alloc(512, 7));
for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(rootfs, 'usr/lib', `lib${i}.so`), 'x');
const deepPath = '/usr/lib/x86_64-linux-gnu/gconv/small.so';

const providers = {
  hostname: () => 'bench',
  domainname: () => '(none)',
  currentPid: () => 1,
  currentTid: () => 1,
  processes: () => [1],
  process: () => undefined,
  uptime: () => 0,
};
const spec = {
  root: { path: 'rootfs' },
  mounts: [
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] },
    { destination: '/mnt', type: 'bind', source: path.join(rootfs, 'usr'), options: ['rbind'] },
  ],
};
const overlay = createVfs({ spec, bundleDir: bundle, registry: new Registry(), providers });
const writeThrough = createVfs({ spec, bundleDir: bundle, registry: new Registry(), providers, overlay: 'none' });
const ctxOf = (vfs) => ({ root: vfs.root, cwd: vfs.root, umask: 0o022, creds: { uid: 1000, gid: 1000, groups: [], caps: 0n } });

const rootCtx = { ...ctxOf(overlay), creds: { uid: 0, gid: 0, groups: [], caps: (1n << 41n) - 1n } };
const tmpFile = overlay.open(rootCtx, undefined, '/tmp/small', O_CREAT | O_WRONLY, 0o644);
tmpFile.write(Buffer.alloc(512, 7));
tmpFile.unref();

function measure(name, fn) {
  for (let i = 0; i < 2000; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(DURATION_MS) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 200; i++) fn();
    ops += 200;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  const perSecond = ops / seconds;
  console.log(`${name.padEnd(58)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} ops/s  ${(1e6 / perSecond).toFixed(2).padStart(7)} us/op`);
}

const buf = Buffer.alloc(100);
function readVia(vfs, ctx, file) {
  const fd = vfs.open(ctx, undefined, file, O_RDONLY, 0);
  fd.read(buf);
  fd.unref();
}

console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${DURATION_MS} ms per case`);
const o = ctxOf(overlay);
const w = ctxOf(writeThrough);
measure('stat 5-component path, overlay root (memory upper)', () => overlay.stat(o, undefined, deepPath, 0));
measure('stat 5-component path, host write-through root', () => writeThrough.stat(w, undefined, deepPath, 0));
measure('stat 5-component path through a bind mount (asks the host)', () => overlay.stat(o, undefined, '/mnt/lib/x86_64-linux-gnu/gconv/small.so', 0));
measure('stat missing name (ENOENT), overlay root', () => {
  try {
    overlay.stat(o, undefined, '/usr/lib/nothing', 0);
  } catch {}
});
measure('host fs.statSync of the same file (baseline)', () => fs.statSync(path.join(rootfs, deepPath)));
measure('open+read 100 B+close, overlay lower file', () => readVia(overlay, o, deepPath));
measure('open+read 100 B+close, host write-through file', () => readVia(writeThrough, w, deepPath));
measure('open+read 100 B+close, tmpfs file', () => readVia(overlay, o, '/tmp/small'));
measure('host openSync+readSync+closeSync (baseline)', () => {
  const fd = fs.openSync(path.join(rootfs, deepPath), 'r');
  fs.readSync(fd, buf, 0, 100, null);
  fs.closeSync(fd);
});
const held = overlay.open(o, undefined, '/tmp/small', O_RDONLY, 0);
measure('pread 100 B on an open tmpfs file', () => held.read(buf, 0));
const heldLower = overlay.open(o, undefined, deepPath, O_RDONLY, 0);
measure('pread 100 B on an open overlay lower file', () => heldLower.read(buf, 0));

fs.rmSync(bundle, { recursive: true, force: true });
