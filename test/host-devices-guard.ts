// The host's own device nodes come out of a test run as they went in. A native reference
// run as host root with the host's /dev nodes bound into its chroot, and a sandbox chmod
// that reached a bound node through a magic link, each once left the host's /dev/null
// with mode 0644 and owner nobody; this fails the run if anything does that again.

import * as fs from 'node:fs';

const NODES = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty'];

function snapshot(): Map<string, string> {
  const seen = new Map<string, string>();
  for (const node of NODES) {
    const st = fs.statSync(node, { throwIfNoEntry: false });
    seen.set(node, st ? `mode ${st.mode.toString(8)} owner ${st.uid}:${st.gid} rdev ${st.rdev}` : 'absent');
  }
  return seen;
}

export default function setup(): () => void {
  const before = snapshot();
  return () => {
    const changed = [...snapshot()].filter(([node, now]) => before.get(node) !== now).map(([node, now]) => `${node}: ${before.get(node)} -> ${now}`);
    if (changed.length === 0) return;
    // vitest reports an error thrown here but still exits 0: the exit code says it.
    process.exitCode = 1;
    throw new Error(`the tests changed the host's device nodes:\n${changed.join('\n')}`);
  };
}
