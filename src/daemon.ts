// The daemon's lifecycle around one Device: the UAPI socket, signals, and the three ways a
// wireguard-go-style daemon must end (SIGINT/SIGTERM, its interface deleted, its socket deleted).
import { Device } from './device.js';
import type { Logger } from './log.js';
import { UapiServer } from './uapi/server.js';

export interface DaemonOptions {
  ifname: string;
  tunFd?: number;
  uapiFd?: number;
  log: Logger;
}

export interface RunningDaemon {
  device: Device;
  /** Resolves with the reason once the daemon has shut down and removed its socket. */
  stopped: Promise<string>;
}

export async function runDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { ifname, log } = options;
  if (!/^[^\s/]{1,15}$/.test(ifname) || ifname === '.' || ifname === '..') {
    throw new Error(`invalid interface name "${ifname}" (1-15 characters, no "/" or white space)`);
  }
  // Refuse before touching the TUN when a live daemon already serves this interface.
  await UapiServer.assertAvailable(ifname);
  const device = await Device.open({ ifname, tunFd: options.tunFd, log });
  let server: UapiServer;
  try {
    server = await UapiServer.listen({ ifname, fd: options.uapiFd, handler: device.uapiHandler(), log });
  } catch (err) {
    device.close();
    throw err;
  }

  let finish: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (finish = resolve));
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.verbose(`stopping: ${reason}`);
    void server.close().finally(() => {
      device.close();
      finish(reason);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  device.onClosed((reason) => stop(`interface gone (${reason})`));
  server.onSocketRemoved(() => stop('UAPI socket deleted'));
  return { device, stopped };
}
