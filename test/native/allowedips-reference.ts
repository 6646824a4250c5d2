// A deliberately naive AllowedIPs: a list of prefixes, scanned linearly for the longest match.
// The differential test holds the native trie to it.
import { formatPrefix, maskPrefix, type IpAddress, type IpPrefix } from '../../src/net/ip.js';

interface Entry {
  prefix: IpPrefix;
  peer: number;
}

function contains(prefix: IpPrefix, address: IpAddress): boolean {
  if (prefix.family !== address.family) return false;
  for (let bit = 0; bit < prefix.cidr; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((prefix.bytes[bit >> 3] & mask) !== (address.bytes[bit >> 3] & mask)) return false;
  }
  return true;
}

export class ReferenceAllowedIps {
  readonly #entries = new Map<string, Entry>();

  insert(prefix: IpPrefix, peer: number): number {
    const masked = maskPrefix(prefix);
    const key = formatPrefix(masked);
    const previous = this.#entries.get(key)?.peer ?? 0;
    this.#entries.set(key, { prefix: masked, peer });
    return previous;
  }

  remove(prefix: IpPrefix, peer: number): boolean {
    const key = formatPrefix(maskPrefix(prefix));
    if (this.#entries.get(key)?.peer !== peer) return false;
    this.#entries.delete(key);
    return true;
  }

  removeAll(peer: number): number {
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.peer !== peer) continue;
      this.#entries.delete(key);
      removed++;
    }
    return removed;
  }

  lookup(address: IpAddress): number {
    let best: Entry | undefined;
    for (const entry of this.#entries.values()) {
      if (contains(entry.prefix, address) && (!best || entry.prefix.cidr > best.prefix.cidr)) best = entry;
    }
    return best?.peer ?? 0;
  }

  /** The peer's prefixes as sorted "addr/cidr" strings. */
  walk(peer: number): string[] {
    return [...this.#entries.entries()].filter(([, e]) => e.peer === peer).map(([key]) => key).sort();
  }

  count(): number {
    return this.#entries.size;
  }
}
