// Bytes queued as the chunks they arrived in (pipe writes, host reads), taken out in order
// by reads of any size.

/** Moves bytes from the front of chunks into buf until either runs out; returns how many. */
export function takeChunks(chunks: Uint8Array[], buf: Uint8Array): number {
  let done = 0;
  while (done < buf.length && chunks.length > 0) {
    const chunk = chunks[0]!;
    const n = Math.min(chunk.length, buf.length - done);
    buf.set(chunk.subarray(0, n), done);
    done += n;
    if (n === chunk.length) chunks.shift();
    else chunks[0] = chunk.subarray(n);
  }
  return done;
}
