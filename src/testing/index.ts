// `import { withTunnel } from 'viaguard/testing'`: throwaway tunnels and namespaces for tests on
// privileged runners (root, network namespaces).
export { createThrowawayTunnel, withTunnel, type ThrowawayTunnelOptions } from './throwaway-tunnel.js';
export { viaguardd, wireguardGo, type Implementation, type TunnelEnd, type TunnelPair } from './tunnel-pair.js';
export { Namespace } from './netns.js';
