#!/usr/bin/env node
import { main } from '../dist/cli/tssc.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`tssc: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
