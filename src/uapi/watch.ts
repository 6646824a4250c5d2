// viaguard's UAPI subscription. A connection that sends `watch=1` and a blank line is answered
// `errno=0` and a blank line, then receives one block per event until it closes:
//
//   event=allowed_ips           the event's name: its first line
//   public_key=<hex>            then key=value lines, as in a get reply
//   added=2
//   removed=0
//   allowed_ip=+10.0.0.0/8      (listed only for small changes)
//                               a blank line ends the block
//
// A watcher that does not read fast enough is never buffered for without bound: once
// MAX_BUFFERED_BYTES are waiting, events are dropped and counted, and when the socket drains it
// receives `event=resync` with `dropped=N`; it should then read the state again with get=1.
import type { Socket } from 'node:net';
import { UAPI_ERRNO, UapiError } from './errors.js';

export interface WatchEvent {
  /** peer_added, peer_changed, peer_removed, allowed_ips, endpoint, session, handshake_failed, resync */
  name: string;
  fields: [key: string, value: string][];
}

export const MAX_BUFFERED_BYTES = 256 * 1024;

export function formatWatchEvent(event: WatchEvent): string {
  let text = `event=${event.name}\n`;
  for (const [key, value] of event.fields) {
    if (!/^[a-z0-9_]+$/.test(key) || /[\n\r]/.test(value)) throw new RangeError(`not a UAPI key=value pair: ${JSON.stringify([key, value])}`);
    text += `${key}=${value}\n`;
  }
  return `${text}\n`;
}

/** Reads blocks back, line by line (without '\n'); calls onEvent for each complete one. */
export class WatchEventParser {
  private current: WatchEvent | undefined;

  constructor(private readonly onEvent: (event: WatchEvent) => void) {}

  line(text: string): void {
    if (text === '') {
      if (this.current) this.onEvent(this.current);
      this.current = undefined;
      return;
    }
    const eq = text.indexOf('=');
    if (eq <= 0) throw new UapiError(UAPI_ERRNO.EPROTO, `watch stream: not a key=value line: ${JSON.stringify(text)}`);
    const key = text.slice(0, eq);
    const value = text.slice(eq + 1);
    if (!this.current) {
      if (key !== 'event') throw new UapiError(UAPI_ERRNO.EPROTO, `watch stream: a block must start with event=, got ${JSON.stringify(text)}`);
      this.current = { name: value, fields: [] };
    } else {
      this.current.fields.push([key, value]);
    }
  }
}

/** Writes events to one watcher's socket, dropping (and later reporting) what it cannot take. */
export class WatchStream {
  private dropped = 0;

  constructor(
    private readonly socket: Socket,
    private readonly maxBuffered = MAX_BUFFERED_BYTES,
  ) {
    socket.on('drain', () => this.flushResync());
  }

  send(event: WatchEvent): void {
    if (this.socket.destroyed) return;
    if (this.dropped > 0 || this.socket.writableLength >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    this.socket.write(formatWatchEvent(event));
  }

  private flushResync(): void {
    if (this.dropped === 0 || this.socket.destroyed) return;
    const dropped = this.dropped;
    this.dropped = 0;
    this.socket.write(formatWatchEvent({ name: 'resync', fields: [['dropped', String(dropped)]] }));
  }
}
