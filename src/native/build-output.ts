// Files the build writes under dist/ that are loaded by path at run time (a worker's entry
// module, the precompiled config validator). The CLI runs as one bundle (dist/cli/tssc.js),
// the module tree runs from dist/, and vitest runs the TypeScript sources: all three find
// these files from the package's root, the nearest directory above with package.json.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`tssc: no package.json above ${start}`);
  }
}

const root = packageRoot();

/** The URL of dist/<relative>, e.g. 'syscalls/wasi/worker-main.js'. */
export function buildOutputUrl(relative: string): URL {
  return pathToFileURL(join(root, 'dist', relative));
}
