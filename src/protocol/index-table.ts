// Session indices: random 32-bit numbers that name a handshake, then the keypair derived from it,
// in the receiver-index field of every message sent to us (kernel peerlookup.c). The core holds
// the indices of handshakes in progress; a keypair's index passes to the data plane with it, so
// the table asks the data plane (heldElsewhere) before handing an index out.
import { randomU32, type Random } from './crypto.js';

export interface IndexTable {
  /** Reserves an unused random index for the peer. */
  allocate(peerId: number): number;
  /** Frees an index; unknown indices are ignored. */
  release(index: number): void;
  /** The peer an index belongs to. */
  lookup(index: number): number | undefined;
}

export class MapIndexTable implements IndexTable {
  private readonly owners = new Map<number, number>();

  constructor(
    private readonly random: Random,
    private readonly heldElsewhere: (index: number) => boolean = () => false,
  ) {}

  allocate(peerId: number): number {
    for (;;) {
      const index = randomU32(this.random);
      if (!this.owners.has(index) && !this.heldElsewhere(index)) {
        this.owners.set(index, peerId);
        return index;
      }
    }
  }

  release(index: number): void {
    this.owners.delete(index);
  }

  lookup(index: number): number | undefined {
    return this.owners.get(index);
  }

  get size(): number {
    return this.owners.size;
  }
}
