// Runs a wasm32-wasi program under node:wasi with ROOTFS preopened as `/`.
// Usage: node bench/wasi-run-nodewasi.mjs ROOTFS PROGRAM.wasm [args...]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [rootfs, program, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [program, ...args], env: {}, preopens: { '/': rootfs }, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(program));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
