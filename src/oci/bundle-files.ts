// Names of the files a bundle directory holds.
export const CONFIG_FILE = 'config.json';
/** Ownership, modes and special files the extracting user could not put on disk (see image/rootfs-meta.ts);
 *  the VFS reads it back, so the name is the VFS's. */
export { ROOTFS_META_FILE } from '../vfs/host/ownership.js';
