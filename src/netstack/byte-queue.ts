// A stream's unread bytes, kept as the pieces they were sent in: taken or peeked from the
// front by reads of any size, counted for FIONREAD and flow control.

export class ByteQueue {
  private readonly pieces: Uint8Array[] = [];
  private bytes = 0;

  get length(): number {
    return this.bytes;
  }

  /** Keeps a copy of data (the sender may reuse its buffer). */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.pieces.push(Uint8Array.prototype.slice.call(data));
    this.bytes += data.length;
  }

  /**
   * Up to n bytes from the front; take removes them, a peek leaves them. Pieces are never
   * written once queued, so what lies within the first one comes back as a view of it.
   */
  read(n: number, take: boolean): Uint8Array {
    const first = this.pieces[0];
    if (!first || n <= 0) return new Uint8Array();
    if (n <= first.length || this.pieces.length === 1) {
      const view = first.subarray(0, Math.min(n, first.length));
      if (take) this.drop(view.length);
      return view;
    }
    const out = new Uint8Array(Math.min(n, this.bytes));
    let done = 0;
    for (const piece of this.pieces) {
      if (done === out.length) break;
      const count = Math.min(piece.length, out.length - done);
      out.set(piece.subarray(0, count), done);
      done += count;
    }
    if (take) this.drop(done);
    return out;
  }

  /** Removes n bytes from the front. */
  private drop(n: number): void {
    this.bytes -= n;
    let left = n;
    while (left > 0) {
      const piece = this.pieces[0]!;
      if (piece.length <= left) {
        left -= piece.length;
        this.pieces.shift();
      } else {
        this.pieces[0] = piece.subarray(left);
        left = 0;
      }
    }
  }

  clear(): void {
    this.pieces.length = 0;
    this.bytes = 0;
  }
}
