// The pure WireGuard protocol core: it imports nothing native or Node-specific; crypto and
// randomness are handed in (implementations in src/crypto/). The daemon builds one
// ProtocolCore per interface and calls: receive() for every handshake-class UDP message,
// tick() on its timer, and, per peer, observe() / keypairConfirmed() / needHandshake() with
// what the data plane reports; it carries out the returned ProtocolActions (send, install or
// clear keypairs, drop staged packets, keepalives).
export * from './constants.js';
export { randomBelow, randomU32, type Crypto, type PrivateKey, type Random } from './crypto.js';
export { ProtocolCore, type DropReason, type ProtocolCoreOptions, type ProtocolStats, type ReceiveResult } from './core.js';
export { endpointEqual } from './endpoint.js';
export { MapIndexTable, type IndexTable } from './index-table.js';
export type { Keypair } from './keypairs.js';
export { decodeDataHeader, encodeDataHeader, messageKind, type MessageKind } from './messages.js';
export { Peer, type PeerActivity, type ProtocolPeerConfig, type ProtocolAction } from './peer.js';
