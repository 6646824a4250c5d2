// Two DataPlanes in this process whose TUN devices live in two fresh namespaces, with UDP over
// loopback in the root namespace (the fds keep working after `ip link set ... netns`). Sessions
// are installed by hand, without a handshake: the data plane engine measured and tested alone.
import { randomBytes } from 'node:crypto';
import { AllowedIps } from '../native/allowedips.js';
import { DataPlane, monotonicMs, type DataPlaneEvent } from '../native/dataplane.js';
import type { Keypair } from '../protocol/keypairs.js';
import { Namespace, run, uniqueSuffix } from './netns.js';

export interface DataPlaneEnd {
  ns: Namespace;
  dp: DataPlane;
  allowedIps: AllowedIps;
  events: DataPlaneEvent[];
  tunnel4: string;
  tunnel6: string;
  port: number;
}

export interface DataPlanePair {
  left: DataPlaneEnd;
  right: DataPlaneEnd;
  /** Closes both data planes and deletes both namespaces. */
  destroy(): Promise<void>;
}

/**
 * Builds the pair: each end knows the other as `peer`, owns the other's tunnel addresses in
 * AllowedIPs (/32 and /128) and has its endpoint at 127.0.0.1:<other's port>.
 */
export async function createDataPlanePair(peer: number, mtu = 1420): Promise<DataPlanePair> {
  const suffix = uniqueSuffix();
  const net = `10.${100 + (randomBytes(1)[0] % 100)}`;
  const net6 = `fd7a:${suffix.slice(0, 4)}:`;
  const ends: DataPlaneEnd[] = [];
  const destroy = async () => {
    for (const end of ends) {
      end.dp.close();
      await end.ns.destroy();
    }
  };
  try {
    for (const [i, side] of ['l', 'r'].entries()) {
      const ns = await Namespace.create(`vgdp${side}`);
      const allowedIps = new AllowedIps();
      const events: DataPlaneEvent[] = [];
      let dp: DataPlane;
      try {
        dp = new DataPlane({ tunName: `vgdp${side}${suffix}`, mtu, allowedIps }, (e) => events.push(...e));
      } catch (err) {
        await ns.destroy();
        throw err;
      }
      const end = { ns, dp, allowedIps, events, tunnel4: `${net}.0.${i + 1}`, tunnel6: `${net6}:${i + 1}`, port: 0 };
      ends.push(end);
      await run('ip', ['link', 'set', dp.ifname, 'netns', ns.name]);
      await ns.exec('ip', ['addr', 'add', `${end.tunnel4}/24`, 'dev', dp.ifname]);
      await ns.exec('ip', ['addr', 'add', `${end.tunnel6}/64`, 'dev', dp.ifname, 'nodad']);
      await ns.exec('ip', ['link', 'set', dp.ifname, 'up']);
      end.port = dp.bind(0);
      dp.addPeer(peer);
    }
    for (const [i, end] of ends.entries()) {
      const other = ends[1 - i];
      end.allowedIps.insert(`${other.tunnel4}/32`, peer);
      end.allowedIps.insert(`${other.tunnel6}/128`, peer);
      end.dp.setEndpoint(peer, '127.0.0.1', other.port);
    }
    return { left: ends[0], right: ends[1], destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** A matching pair of random sessions: what a handshake between the two ends would derive. */
export function matchingKeypairs(initiatorIndex: number, responderIndex: number): { initiator: Keypair; responder: Keypair } {
  const initiatorToResponder = randomBytes(32);
  const responderToInitiator = randomBytes(32);
  const createdAt = monotonicMs();
  return {
    initiator: {
      localIndex: initiatorIndex,
      remoteIndex: responderIndex,
      sendKey: initiatorToResponder,
      receiveKey: responderToInitiator,
      isInitiator: true,
      createdAt,
    },
    responder: {
      localIndex: responderIndex,
      remoteIndex: initiatorIndex,
      sendKey: responderToInitiator,
      receiveKey: initiatorToResponder,
      isInitiator: false,
      createdAt,
    },
  };
}
