// What a SRC tar file holds: an image archive (OCI layout, or `docker save`) or a plain
// root filesystem (`docker export`, or any rootfs tar). Image archives have only a few
// kinds of names; the first name outside them marks a rootfs, so a rootfs tar is told
// apart after a few entries, without reading it through.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { TsscError } from '../errors.js';
import { isGzip, readHead } from './layer-file.js';

export type ArchiveKind = 'oci-layout' | 'docker-save' | 'rootfs';

const HEX_ID = '[0-9a-f]{64}';
const IMAGE_ARCHIVE_NAMES = [
  /^(oci-layout|index\.json|manifest\.json|repositories)$/,
  /^blobs(\/[a-z0-9]+(\/[0-9a-f]+)?)?\/?$/,
  new RegExp(`^${HEX_ID}\\.json$`),
  new RegExp(`^${HEX_ID}(\\/(layer\\.tar|json|VERSION)?)?$`),
];

export async function archiveKind(file: string): Promise<ArchiveKind> {
  const seen = new Set<string>();
  const input = maybeGunzip(file);
  const extract = tar.extract();
  input.pipe(extract as unknown as NodeJS.WritableStream);
  input.on('error', (error) => extract.destroy(error));
  let rootfs = false;
  try {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.\//, '').replace(/\/$/, '');
      entry.resume();
      if (name === '' || name === '.') continue;
      if (!IMAGE_ARCHIVE_NAMES.some((pattern) => pattern.test(name))) {
        rootfs = true;
        break;
      }
      seen.add(name);
    }
  } catch (error) {
    throw new TsscError(`${file}: not a readable tar archive: ${(error as Error).message}`);
  } finally {
    input.destroy();
    extract.destroy();
  }
  if (rootfs) return 'rootfs';
  if (seen.has('oci-layout') && seen.has('index.json')) return 'oci-layout';
  if (seen.has('manifest.json')) return 'docker-save';
  return 'rootfs';
}

function maybeGunzip(file: string): Readable {
  const raw = createReadStream(file);
  if (!isGzip(readHead(file, 2))) return raw;
  const gunzip = createGunzip();
  raw.on('error', (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
}
