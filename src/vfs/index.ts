// The VFS library: build one per sandbox with createVfs; see api.ts for the contract.

export * from './api.js';
export { createVfs, MountError } from './build.js';
export { byteString } from './byte-string.js';
export { FS_EVENT, FsNotifier, type FsEvent, type FsWatcher } from './notify.js';
export { Registry } from './registry.js';
export { hostTestHooks, openBeneathHost } from './host/handle.js';
export { ROOTFS_META_FILE } from './host/ownership.js';
