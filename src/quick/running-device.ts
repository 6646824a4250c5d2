import { UapiClient } from '../uapi/client.js';
import type { DeviceSnapshot } from '../uapi/status.js';
import { QuickError } from './errors.js';

/** The device behind IFACE's UAPI socket, or wg-quick's "not a WireGuard interface". */
export async function runningDevice(iface: string): Promise<{ uapi: UapiClient; device: DeviceSnapshot }> {
  const uapi = new UapiClient(iface);
  try {
    return { uapi, device: await uapi.get() };
  } catch (error) {
    throw new QuickError(`\`${iface}' is not a WireGuard interface (${(error as Error).message})`, { cause: error });
  }
}
