// The two kernel settings a full tunnel cares about, read and written through /proc/sys in the
// caller's network namespace.
import { readFile, writeFile } from 'node:fs/promises';

const SRC_VALID_MARK = '/proc/sys/net/ipv4/conf/all/src_valid_mark';
const RP_FILTER = '/proc/sys/net/ipv4/conf/all/rp_filter';

/**
 * net.ipv4.conf.all.src_valid_mark=1, as wg-quick sets it: the reverse-path check of packets
 * from the tunnel's peers then honours their fwmark. Returns whether it had to change.
 */
export async function enableSrcValidMark(): Promise<boolean> {
  if ((await readFile(SRC_VALID_MARK, 'utf8')).trim() === '1') return false;
  await writeFile(SRC_VALID_MARK, '1\n');
  return true;
}

/** Strict reverse-path filtering (rp_filter=1) for every interface. */
export async function strictReversePathFilter(): Promise<boolean> {
  return (await readFile(RP_FILTER, 'utf8')).trim() === '1';
}
