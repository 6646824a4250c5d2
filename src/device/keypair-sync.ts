// Mirrors the protocol core's keypair slots into the data plane. The core reports a peer's whole
// (previous, current, next) triple after every change; the data plane keeps its own triple with
// the same rotation rules (native/keypair.h), plus per-keypair send counters and replay windows
// that must survive. So only the difference is applied: a keypair the data plane lacks is
// installed (it rotates the slots exactly as the core did), one the core dropped is removed,
// and keypairs present on both sides are left alone.
import type { DataPlane } from '../native/dataplane.js';
import type { Keypair } from '../protocol/keypairs.js';

export interface KeypairTriple {
  previous: Keypair | undefined;
  current: Keypair | undefined;
  next: Keypair | undefined;
}

/** Brings the data plane's slots of `peerId` to `wanted`; true when both sides now agree slot by slot. */
export function syncKeypairs(dataPlane: DataPlane, peerId: number, wanted: KeypairTriple): boolean {
  const wantedIndices = new Set<number>();
  for (const k of [wanted.previous, wanted.current, wanted.next]) if (k) wantedIndices.add(k.localIndex);

  const held = dataPlane.keypairs(peerId);
  const heldIndices = new Set([held.previous, held.current, held.next].filter((i): i is number => i !== null));
  // A keypair is derived by one handshake at a time, so at most one is new; installing in
  // slot order keeps the rotation identical even if that ever changes.
  for (const k of [wanted.previous, wanted.current, wanted.next]) {
    if (!k || heldIndices.has(k.localIndex)) continue;
    dataPlane.installKeypair(peerId, {
      localIndex: k.localIndex,
      remoteIndex: k.remoteIndex,
      sendKey: k.sendKey,
      receiveKey: k.receiveKey,
      initiator: k.isInitiator,
      birthMs: k.createdAt,
    });
  }

  const after = dataPlane.keypairs(peerId);
  for (const index of [after.previous, after.current, after.next]) {
    if (index !== null && !wantedIndices.has(index)) dataPlane.removeKeypair(index);
  }
  const final = dataPlane.keypairs(peerId);
  return (
    final.previous === (wanted.previous?.localIndex ?? null) &&
    final.current === (wanted.current?.localIndex ?? null) &&
    final.next === (wanted.next?.localIndex ?? null)
  );
}
