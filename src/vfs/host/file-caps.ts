// The one extended attribute the sandbox reads from host files: security.capability, the
// file capabilities exec grants (as setcap, or a tar with xattrs, left them in the rootfs).
// Other host xattrs (SELinux labels, user.*) stay the host's.

import { closeSync } from 'node:fs';
import { isSysError } from '../../abi/errno.js';
import { XATTR_NAME_CAPS } from '../../abi/linux-capability.js';
import { fgetxattr } from './calls.js';

/** The security.capability of the regular file open() opens for reading; undefined for none, or a file tssc cannot open. */
export function fileCapabilities(open: () => number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = open();
  } catch (error) {
    if (isSysError(error)) return undefined;
    throw error;
  }
  try {
    return fgetxattr(fd, XATTR_NAME_CAPS);
  } catch (error) {
    if (isSysError(error)) return undefined;
    throw error;
  } finally {
    closeSync(fd);
  }
}
