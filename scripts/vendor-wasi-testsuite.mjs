#!/usr/bin/env node
// Refreshes test/fixtures/wasi-testsuite/preview1.tar.gz from a checkout of the official
// wasi-testsuite at its prod/testsuite-base branch (the prebuilt tests and their .json
// expectations): `node scripts/vendor-wasi-testsuite.mjs CHECKOUT`.
//
// Only the wasm32-wasip1 directories are taken, and every module loses its custom
// sections (names, DWARF: 95 of the 100 MB), which change nothing a test does. The
// suite is Apache-2.0; its LICENSE sits beside the archive, with the commit in README.md.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SUITES = ['assemblyscript', 'c', 'rust'];
const checkout = process.argv[2];
if (!checkout) {
  console.error('usage: vendor-wasi-testsuite.mjs CHECKOUT');
  process.exit(2);
}
const out = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'wasi-testsuite', 'preview1.tar.gz');

function uleb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

/** The module without its custom sections (id 0). */
function stripCustomSections(bytes) {
  const kept = [bytes.subarray(0, 8)];
  let at = 8;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at++];
    let length;
    [length, at] = uleb(bytes, at);
    if (id !== 0) kept.push(bytes.subarray(start, at + length));
    at += length;
  }
  return Buffer.concat(kept);
}

const staging = mkdtempSync(path.join(tmpdir(), 'wasi-testsuite-'));
try {
  for (const suite of SUITES) {
    const from = path.join(checkout, 'tests', suite, 'testsuite', 'wasm32-wasip1');
    const to = path.join(staging, suite);
    cpSync(from, to, { recursive: true });
    for (const name of readdirSync(to)) {
      const file = path.join(to, name);
      if (name.endsWith('.wasm') && statSync(file).isFile()) writeFileSync(file, stripCustomSections(readFileSync(file)));
    }
  }
  execFileSync('tar', ['--sort=name', '--mtime=2025-01-01', '--owner=0', '--group=0', '--numeric-owner', '-cf', path.join(staging, 'all.tar'), ...SUITES], { cwd: staging });
  writeFileSync(out, execFileSync('gzip', ['-9n', '-c', path.join(staging, 'all.tar')], { maxBuffer: 1 << 28 }));
  console.log(`wrote ${out} (${statSync(out).size} bytes)`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}
