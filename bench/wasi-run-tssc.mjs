// Runs a wasm32-wasi program as the init of a tssc sandbox (WasmSandbox over the VFS of
// BUNDLE/rootfs, host stdio), from the compiled tree: `npm run build:ts` first.
// Usage: node bench/wasi-run-tssc.mjs BUNDLE /path/in/rootfs.wasm [args...]
import { WasmSandbox } from '../dist/sentry/wasm/sandbox.js';
import { wasiPreview1Table } from '../dist/syscalls/wasi/table.js';
import { RlimitTable } from '../dist/sentry/kernel/rlimits.js';
import { openHostStdio } from '../dist/sentry/kernel/files/host-file.js';
import { createVfs, Registry } from '../dist/vfs/index.js';

const [bundle, program, ...args] = process.argv.slice(2);
const providers = {
  hostname: () => 'bench', domainname: () => '', currentPid: () => 1, currentTid: () => 1,
  processes: () => [1], process: () => undefined, uptime: () => process.uptime(),
};
const vfs = createVfs({ spec: { root: { path: 'rootfs' } }, bundleDir: bundle, registry: new Registry(), providers });
const ctx = { root: vfs.root, cwd: vfs.root, umask: 0o22, creds: { uid: 0, gid: 0, groups: [], caps: (1n << 41n) - 1n } };
const sandbox = new WasmSandbox({
  table: wasiPreview1Table, vfs, hostname: 'bench', domainname: '',
  onTrap: (pid, reason) => process.stderr.write(`tssc: pid ${pid}: ${reason}\n`),
  init: {
    program, argv: [program, ...args], envp: [], cwd: '/', umask: 0o22,
    identity: { uid: 0, gid: 0, groups: [], effective: 0n, permitted: 0n, inheritable: 0n, bounding: 0n },
    rlimits: RlimitTable.fromSpec([]),
    stdio: [0, 1, 2].map((fd) => openHostStdio(vfs, ctx, fd, fd === 0 ? 0 : 1)),
  },
});
const status = await sandbox.run();
process.exit(status & 0x7f ? 128 + (status & 0x7f) : status >> 8);
