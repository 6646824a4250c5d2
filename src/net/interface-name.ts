// The name of a network interface from its index: the kernel reports IPv6 zones as indices,
// people and wg write them as names (fe80::1%eth0).
import { checkInteger } from '../checks.js';
import { loadNative } from '../native/loader.js';

/** if_indextoname(3) in this process's network namespace; undefined when no interface has the index. */
export function interfaceName(index: number): string | undefined {
  return loadNative().interfaceName(checkInteger(index, 'interface index', 1, 0xffffffff));
}
