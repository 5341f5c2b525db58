// The registry of filesystem types and device drivers a sandbox's VFS is built with.

import { makedev, type DeviceOpen, type FifoOpen, type FilesystemRegistry, type FilesystemType } from './api.js';

export class Registry implements FilesystemRegistry {
  private readonly types = new Map<string, FilesystemType>();
  private readonly devices = new Map<number, DeviceOpen>();
  private fifoOpen: FifoOpen | undefined;

  register(type: FilesystemType): void {
    this.types.set(type.name, type);
  }

  get(name: string): FilesystemType | undefined {
    return this.types.get(name);
  }

  registerCharDevice(major: number, minor: number, open: DeviceOpen): void {
    this.devices.set(makedev(major, minor), open);
  }

  charDevice(rdev: number): DeviceOpen | undefined {
    return this.devices.get(rdev);
  }

  setFifo(open: FifoOpen): void {
    this.fifoOpen = open;
  }

  fifo(): FifoOpen | undefined {
    return this.fifoOpen;
  }
}
