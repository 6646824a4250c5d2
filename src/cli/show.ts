// `viaguard show [--json] [<interface> | all | interfaces] [<field>]`, as `wg show`
// (wireguard-tools src/show.c show_main): no argument means all; a failing interface in "all"
// is reported on stderr and the others are still shown.
import type { DeviceSnapshot } from '../uapi/status.js';
import type { CliIo } from './cli-io.js';
import { getDevice, listInterfaces } from './device-access.js';
import { CliError, describeError } from './errors.js';
import { publicKeyFromPrivate } from '../config/public-key.js';
import { deviceJson } from './show-json.js';
import { fieldText, prettyDevice, SHOW_FIELDS, type ShowField, type ShownDevice } from './show-format.js';
import { colorWanted, stripAnsi } from './terminal.js';

export const SHOW_USAGE = `show [--json] [<interface> | all | interfaces] [${SHOW_FIELDS.join(' | ')}]`;

export const SHOW_HELP = `Without --json the output is wg's, line for line; viaguard's own settings follow wg's lines
("  source check: route"). Colours only on a terminal (WG_COLOR_MODE=always|never overrides);
keys show as (hidden) unless WG_HIDE_KEYS=never. Peers are sorted by latest handshake in the
listing, in the daemon's order in the one-field and dump forms.

--json prints one device as an object, or all devices (no interface, or "all") as an array of
such objects, or for "interfaces" an array of names. A device:
  { "name": string, "publicKey": base64 | null, "privateKey": base64 | null,
    "listenPort": integer (0: none), "fwmark": integer (0: off),
    "sourceCheck": "allowed-ips" | "route" | "off" | null, "peerSelection": "allowed-ips" | "route" | null,
    "counters": { get key: integer } (viaguardd's counters; one not listed is 0),
    "extra": { other key: string value reported by the daemon },
    "peers": [ { "publicKey": base64, "presharedKey": base64 | null,
                 "endpoint": "ip:port" | "[ipv6]:port" | null, "allowedIps": ["a.b.c.d/n", ...],
                 "latestHandshakeUnixMs": integer (0: never), "rxBytes": integer, "txBytes": integer,
                 "persistentKeepaliveSeconds": integer (0: off),
                 "sourceCheckDrops": integer | null (null: wireguard-go), "peerMac": string | null,
                 "learntIps": [string, ...], "extra": { ... } } ] }
JSON Schemas: schemas/show-device.schema.json, show-all and show-interfaces in the package.
Keys, like "dump", are not hidden. Byte counters are exact up to 2^53.`;

function shown(name: string, device: DeviceSnapshot): ShownDevice {
  return { name, device, publicKey: device.privateKey && publicKeyFromPrivate(device.privateKey) };
}

function parseField(text: string | undefined): ShowField | undefined {
  if (text === undefined) return undefined;
  const field = SHOW_FIELDS.find((candidate) => candidate === text);
  if (!field) throw new CliError(`show: invalid parameter "${text}"; expected one of ${SHOW_FIELDS.join(', ')}`);
  return field;
}

export async function showCommand(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((arg) => arg !== '--json');
  if (rest.length > 2) throw new CliError(`show: too many arguments; usage: viaguard ${SHOW_USAGE}`);
  const target = rest[0] ?? 'all';
  const field = parseField(rest[1]);
  if (json && field) throw new CliError('show --json prints whole devices and takes no field');
  const pretty = (device: ShownDevice) => {
    const text = prettyDevice(device, { now: io.now(), showKeys: io.env.WG_HIDE_KEYS === 'never' });
    return colorWanted(io.env, io.stdoutIsTty) ? text : stripAnsi(text);
  };

  if (target === 'interfaces') {
    if (field) throw new CliError(`show interfaces takes no field; usage: viaguard ${SHOW_USAGE}`);
    const names = await listInterfaces(io.socketDir);
    if (json) io.write(`${JSON.stringify(names)}\n`);
    else if (names.length) io.write(`${names.join(' ')}\n`);
    return 0;
  }

  if (target !== 'all') {
    const device = shown(target, await getDevice(target, io.socketDir));
    if (json) io.write(`${JSON.stringify(deviceJson(device), null, 2)}\n`);
    else io.write(field ? fieldText(device, field, false) : pretty(device));
    return 0;
  }

  // As wg: failure only when there were interfaces and none of them could be read.
  const names = await listInterfaces(io.socketDir);
  let status = names.length ? 1 : 0;
  const devices: ShownDevice[] = [];
  for (const [index, name] of names.entries()) {
    let device: ShownDevice;
    try {
      device = shown(name, await getDevice(name, io.socketDir));
    } catch (error) {
      io.warn(`viaguard: ${describeError(error)}\n`);
      continue;
    }
    status = 0;
    if (json) devices.push(device);
    else if (field) io.write(fieldText(device, field, true));
    else io.write(`${pretty(device)}${index < names.length - 1 ? '\n' : ''}`);
  }
  if (json) io.write(`${JSON.stringify(devices.map(deviceJson), null, 2)}\n`);
  return status;
}
