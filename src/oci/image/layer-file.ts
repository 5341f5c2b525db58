// A layer (or rootfs tar) on disk opened as a tar stream: gzip is undone on the fly, and
// the compressed bytes read are reported for the progress bar.
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TsscError } from '../errors.js';

export interface LayerFile {
  /** Host path of the file. */
  path: string;
  /** Names the layer in messages ("layer 2 of 5 (sha256:...)"). */
  label: string;
  /** Expected digest ("sha256:<hex>") when the image names one; checked after reading. */
  digest?: string;
}

export interface OpenedLayer {
  tar: Readable;
  /** Throws when the bytes read differ from the digest; call once the tar was read whole. */
  verified(): void;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export function fileSize(file: string): number {
  return statSync(file).size;
}

export function openLayer(layer: LayerFile, onBytes: (count: number) => void): OpenedLayer {
  const head = readHead(layer.path, 4);
  if (startsWith(head, ZSTD_MAGIC)) {
    throw new TsscError(`${layer.label}: zstd-compressed layers are not supported (Node 20 has no zstd); use gzip`);
  }
  const raw = createReadStream(layer.path);
  const hash = digestHash(layer);
  raw.on('data', (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    hash?.update(bytes);
    onBytes(bytes.length);
  });
  const tar = isGzip(head) ? raw.pipe(createGunzip()) : raw;
  if (tar !== raw) raw.on('error', (error) => tar.destroy(error));
  return {
    tar,
    verified(): void {
      if (hash === undefined || layer.digest === undefined) return;
      const actual = `${layer.digest.slice(0, layer.digest.indexOf(':'))}:${hash.digest('hex')}`;
      if (actual !== layer.digest) throw new TsscError(`${layer.label}: content does not match its digest (got ${actual})`);
    },
  };
}

function digestHash(layer: LayerFile): Hash | undefined {
  if (layer.digest === undefined) return undefined;
  const algorithm = layer.digest.slice(0, layer.digest.indexOf(':'));
  return createHash(algorithm);
}

export function readHead(file: string, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

export function isGzip(head: Buffer): boolean {
  return startsWith(head, GZIP_MAGIC);
}

function startsWith(head: Buffer, magic: readonly number[]): boolean {
  return magic.every((byte, i) => head[i] === byte);
}
