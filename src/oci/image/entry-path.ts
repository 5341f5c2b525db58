// Names inside a tar, turned into rootfs-relative paths or refused. A tar entry never gets
// to name anything outside the rootfs: absolute names and ".." components are hostile.
import type { Header } from 'tar-stream';
import { TsscError } from '../errors.js';

/**
 * Path components of a tar name, as byte strings. `name` is as tar-stream decoded it with
 * latin1; PAX path records are UTF-8 by definition, so they are turned back into bytes.
 */
export function entryComponents(name: string, fromPax: boolean, what: string): string[] {
  const bytes = fromPax ? Buffer.from(name, 'utf8').toString('latin1') : name;
  if (bytes.startsWith('/')) throw new TsscError(`refusing ${what} ${JSON.stringify(bytes)}: absolute path`);
  const components = bytes.split('/').filter((c) => c !== '' && c !== '.');
  if (components.includes('..')) {
    throw new TsscError(`refusing ${what} ${JSON.stringify(bytes)}: ".." would lead outside the rootfs`);
  }
  return components;
}

export function entryName(header: Header): string[] {
  return entryComponents(header.name, paxField(header, 'path'), 'tar entry');
}

export function hardlinkTarget(header: Header): string[] {
  const entry = JSON.stringify(header.name);
  return entryComponents(header.linkname ?? '', paxField(header, 'linkpath'), `hard link ${entry} to`);
}

/** A symlink's target, as bytes; it is stored verbatim and only ever resolved by the sandbox. */
export function symlinkTarget(header: Header): string {
  const target = header.linkname ?? '';
  return paxField(header, 'linkpath') ? Buffer.from(target, 'utf8').toString('latin1') : target;
}

function paxField(header: Header, field: string): boolean {
  const pax = header.pax;
  return typeof pax === 'object' && pax !== null && field in pax;
}
