// Text from config.json or a command line is Unicode; inside the sandbox every path,
// argument and environment string is a byte string (one JS char per byte, api.ts). Linux
// and runc hand a workload the UTF-8 bytes of what the spec says, so that is the bridge.

/** The UTF-8 bytes of text as a byte string (é becomes the two chars 0xc3 0xa9). */
export function byteString(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}
