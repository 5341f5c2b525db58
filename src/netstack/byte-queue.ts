// A stream's unread bytes, kept as the pieces they were sent in: taken or peeked from the
// front by reads of any size, counted for FIONREAD and flow control.

export class ByteQueue {
  private readonly pieces: Uint8Array[] = [];
  private head = 0;
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

  /** Up to n bytes from the front; take removes them, a peek leaves them. */
  read(n: number, take: boolean): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.bytes));
    let done = 0;
    let index = this.head;
    let offset = 0;
    while (done < out.length) {
      const piece = this.pieces[index]!;
      const count = Math.min(piece.length - offset, out.length - done);
      out.set(piece.subarray(offset, offset + count), done);
      done += count;
      if (offset + count === piece.length) {
        index++;
        offset = 0;
      } else offset += count;
    }
    if (take) {
      this.bytes -= done;
      if (offset > 0) this.pieces[index] = this.pieces[index]!.subarray(offset);
      this.pieces.splice(this.head, index - this.head);
    }
    return out;
  }

  clear(): void {
    this.pieces.length = 0;
    this.bytes = 0;
  }
}
