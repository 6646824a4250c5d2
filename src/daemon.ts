// A device served over the UAPI socket, with the lifetime of a wireguard-go daemon: it ends on
// SIGINT/SIGTERM, when its interface is deleted, when its socket file is deleted or when the
// data plane stops, and always removes its socket on the way out. Its interface may be moved to
// another network namespace (the netns trick): it keeps serving, its UDP sockets stay here, and
// the netlink work about the interface follows it there.
import type { PeerSelection } from './config/wg-config.js';
import { DeviceEngine } from './device/engine.js';
import { logDrops } from './device/drop-log.js';
import { watchLink, type LinkWatch } from './device/link-watch.js';
import { watchRoutes, type RouteWatch } from './device/route-watch.js';
import { watchSourceAddresses } from './device/source-address-watch.js';
import { createUapiHandler } from './device/uapi-handler.js';
import type { Logger } from './log.js';
import { UapiServer, uapiSocketInUse } from './uapi/server.js';
import { checkInterfaceName } from './uapi/socket-path.js';

export interface DaemonOptions {
  ifname: string;
  /** An open TUN (WG_TUN_FD) to adopt instead of creating one. */
  tunFd?: number;
  /** A listening UAPI socket (WG_UAPI_FD) to adopt instead of binding one. */
  uapiFd?: number;
  /** Default /var/run/wireguard. */
  socketDir?: string;
  /** Default allowed-ips; route makes the interface a TAP device (route mode). */
  peerSelection?: PeerSelection;
  /** Crypto workers (default: one per CPU the process may use). */
  threads?: number;
  /** Packet queues (see DataPlaneOptions.queues). */
  queues?: number;
  /** Test knob (see DataPlaneOptions.rekeyAfterMessages). */
  rekeyAfterMessages?: number;
  log: Logger;
  /** Stop on SIGINT/SIGTERM (default true; a library embedding the daemon leaves signals to its host). */
  handleSignals?: boolean;
}

export interface RunningDaemon {
  device: DeviceEngine;
  /** Resolves with the reason once the daemon has shut down and removed its socket. */
  stopped: Promise<string>;
  stop(reason: string): void;
}

export async function runDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { log } = options;
  const ifname = checkInterfaceName(options.ifname);
  // Refuse before touching the TUN: a live daemon owns this interface.
  if (options.uapiFd === undefined && (await uapiSocketInUse(ifname, options.socketDir))) {
    throw new Error(`interface ${ifname} is already served by a running daemon`);
  }
  const device = await DeviceEngine.open({
    ifname: options.tunFd === undefined ? ifname : undefined,
    tunFd: options.tunFd,
    peerSelection: options.peerSelection,
    threads: options.threads,
    queues: options.queues,
    rekeyAfterMessages: options.rekeyAfterMessages,
    log,
  });
  let server: UapiServer | undefined;
  let link: LinkWatch | undefined;
  let routes: RouteWatch | undefined;
  try {
    link = await watchLink(device, {
      deleted: () => stop('interface deleted'),
      moved: (home, index) => {
        if (stopping) return;
        routes?.close();
        routes = watchRoutes(device, log, home, index);
        // Verdicts came from the old namespace's routes; and in route mode the new namespace
        // has no neighbour entries yet, the sync starts afresh there.
        device.clearSourceVerdicts();
        void routes.syncNeighbours();
        log.verbose(`interface ${device.ifname} moved to another network namespace (now ${home.name}, index ${index}); UDP stays on port ${device.listenPort} here`);
      },
    });
    routes = watchRoutes(device, log, link.home, link.index);
    server = await UapiServer.listen(ifname, createUapiHandler(device, log), { fd: options.uapiFd, socketDir: options.socketDir, log });
  } catch (error) {
    routes?.close();
    link?.close();
    device.close();
    throw error;
  }

  // Its timer would wake an idle daemon every 10 s to read counters for lines nobody sees.
  const drops = log.verboseEnabled === false ? undefined : logDrops(device, log);
  const sources = watchSourceAddresses(device, log);
  let finish: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (finish = resolve));
  let stopping = false;
  const onSignal = (signal: string) => stop(signal);
  function stop(reason: string): void {
    if (stopping) return;
    stopping = true;
    log.verbose(`shutting down: ${reason}`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    link?.close();
    routes?.close();
    drops?.close();
    sources.close();
    device.close(reason);
    void (server?.close() ?? Promise.resolve()).finally(() => finish(reason));
  }
  if (options.handleSignals ?? true) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  device.on('closed', (reason) => stop(`data plane stopped (${reason})`));
  if (stopping) throw new Error(`interface ${ifname} went away during setup`);
  server.on('socketRemoved', () => stop('UAPI socket removed'));
  server.on('requestFailed', (error) => log.error(`UAPI request failed: ${error.message}`));
  server.on('error', (error) => stop(`UAPI socket failed: ${error.message}`));
  log.verbose(`interface ${device.ifname} (peer selection ${device.peerSelection}) up, UDP port ${device.listenPort}, UAPI ${server.path}, offloads ${device.offloads}, crypto threads ${device.cryptoThreads}, queues ${device.queues}`);
  return { device, stopped, stop };
}
