// wg-quick's `Table =` setting: "off" (no routes), "auto" or absent (main, and a full tunnel
// through a table of its own), or a routing table by number or by name as iproute2 knows it
// (rt_tables files: "NUMBER NAME" lines, '#' comments; iproute2 lib/rt_names.c).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RT_TABLE } from '../netlink/constants.js';

export type TableSetting = { kind: 'auto' } | { kind: 'off' } | { kind: 'table'; id: number };

const BUILTIN_TABLES: [string, number][] = [
  ['default', RT_TABLE.DEFAULT],
  ['main', RT_TABLE.MAIN],
  ['local', RT_TABLE.LOCAL],
];

/** Table numbers as iproute2 reads them: decimal or 0x hex, 1..2^32-1 (0 is "unspec"). */
function parseTableNumber(text: string): number | undefined {
  if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(text)) return undefined;
  const id = Number(text);
  return id >= 1 && id <= 0xffffffff ? id : undefined;
}

/** Adds the "NUMBER NAME" lines of one rt_tables file to names. */
export function parseRtTables(text: string, names: Map<string, number> = new Map()): Map<string, number> {
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = /^(\S+)\s+(\S+)$/.exec(line);
    const id = match ? parseTableNumber(match[1]) : undefined;
    if (match && id !== undefined) names.set(match[2], id);
  }
  return names;
}

/** undefined when the value names no table. */
export function tableSetting(value: string | undefined, names: ReadonlyMap<string, number>): TableSetting | undefined {
  // wg-quick compares "off" and "auto" case-sensitively, after parsing.
  if (value === undefined || value === 'auto') return { kind: 'auto' };
  if (value === 'off') return { kind: 'off' };
  const id = parseTableNumber(value) ?? names.get(value);
  return id === undefined ? undefined : { kind: 'table', id };
}

const RT_TABLES_DIRS = ['/usr/share/iproute2', '/usr/lib/iproute2', '/etc/iproute2'];

/** The table names of this machine: built-ins, then rt_tables and rt_tables.d/*.conf (later wins). */
export async function readTableNames(dirs: readonly string[] = RT_TABLES_DIRS): Promise<Map<string, number>> {
  const names = new Map(BUILTIN_TABLES);
  for (const dir of dirs) {
    parseRtTables(await readFile(join(dir, 'rt_tables'), 'utf8').catch(() => ''), names);
    const extra = await readdir(join(dir, 'rt_tables.d')).catch(() => [] as string[]);
    for (const file of extra.filter((name) => name.endsWith('.conf')).sort()) {
      parseRtTables(await readFile(join(dir, 'rt_tables.d', file), 'utf8').catch(() => ''), names);
    }
  }
  return names;
}
