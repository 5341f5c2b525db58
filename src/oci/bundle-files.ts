// Names of the files a bundle directory holds.
export const CONFIG_FILE = 'config.json';
/** Ownership, modes and special files the extracting user could not put on disk (see image/rootfs-meta.ts). */
export const ROOTFS_META_FILE = 'tssc-rootfs-meta.json';
