// The exact surface of the native addon (native/binding/*.cc). Callers never use it directly:
// the typed wrappers beside it validate every argument first, so no JavaScript value can
// reach C++ unchecked.

/** An Error from a failed system call: `code` is the errno name ("ENOENT"), `errno` its number. */
export interface NativeSystemError extends Error {
  code: string;
  errno: number;
}

/** native/binding/netlink_wrap.cc: a NETLINK_ROUTE socket polled by the event loop. */
export interface NativeNetlinkSocket {
  /** Sends one datagram of complete netlink messages. */
  send(datagram: Uint8Array): void;
  /** Stops polling and closes the descriptor; idempotent. */
  close(): void;
  /** Let an open socket keep the process alive (the default) or not. */
  ref(): void;
  unref(): void;
  readonly portId: number;
}

export type NetlinkReceiveCallback = (
  error: NativeSystemError | null,
  datagrams: Uint8Array[],
  overflowed: boolean,
) => void;

export interface NativeNetlinkSocketConstructor {
  /** groups: RTNLGRP_* numbers to join; netnsPath: a network namespace file to open it in. */
  new (groups: number[], netnsPath: string | undefined, onReceive: NetlinkReceiveCallback): NativeNetlinkSocket;
}

export interface NativeAddon {
  NetlinkSocket: NativeNetlinkSocketConstructor;
}
