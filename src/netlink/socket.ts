// Typed front of the native NETLINK_ROUTE socket: validates arguments, then opens it.
import { loadNative } from '../native/loader.js';
import type { NativeNetlinkSocket, NetlinkReceiveCallback } from '../native/native.js';

export interface NetlinkSocketOptions {
  /** RTNLGRP_* group numbers to receive notifications from (none for a request socket). */
  groups?: number[];
  /** Open the socket in this network namespace (e.g. /var/run/netns/NAME). */
  netnsPath?: string;
}

export function openNetlinkSocket(options: NetlinkSocketOptions, onReceive: NetlinkReceiveCallback): NativeNetlinkSocket {
  const groups = options.groups ?? [];
  if (!Array.isArray(groups)) throw new TypeError('groups must be an array of RTNLGRP_* numbers');
  for (const g of groups) {
    if (!Number.isInteger(g) || g < 1 || g > 1024) throw new RangeError(`invalid netlink group ${String(g)}`);
  }
  const { netnsPath } = options;
  if (netnsPath !== undefined && (typeof netnsPath !== 'string' || !netnsPath.startsWith('/'))) {
    throw new TypeError(`netnsPath must be an absolute path, got ${String(netnsPath)}`);
  }
  if (typeof onReceive !== 'function') throw new TypeError('onReceive must be a function');
  return new (loadNative().NetlinkSocket)(groups, netnsPath, onReceive);
}
