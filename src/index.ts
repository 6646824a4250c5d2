// viaguard's public programmatic API.
export { Device, type CreateOptions, type DeviceStatus, type InterfaceOptions, type Key, type PeerOptions, type PeerStatus } from './api/device.js';
export { DeviceError } from './api/errors.js';
export type { WatchEventJson, WatchEventName } from './uapi/watch-json.js';
export { down, save, up, type QuickOptions, type UpResult } from './quick/index.js';
