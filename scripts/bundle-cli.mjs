// Writes dist/cli/tssc.js: the CLI and everything it imports as one ES module (run after
// tsc). Node's ESM loader spends ~150 ms resolving and reading the ~200 files of the module
// tree on every `tssc` command; one bundle takes a few milliseconds. Files loaded by path
// (the wasm worker, the precompiled validator) stay in dist/ (see src/native/build-output.ts);
// the native addon is found from dist/cli as from dist/native.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
await build({
  entryPoints: [path.join(dist, 'cli', 'main.js')],
  outfile: path.join(dist, 'cli', 'tssc.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // commander and tar-stream are CommonJS: their require() of Node's modules needs one.
  banner: { js: "import { createRequire as tsscCreateRequire } from 'node:module'; const require = tsscCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
