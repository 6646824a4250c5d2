// `viaguard up CONFIG|IFACE`: what wg-quick(8) up does (wireguard-tools src/wg-quick/linux.bash
// cmd_up), over rtnetlink and the UAPI instead of ip(8) and wg(8): start the daemon, PreUp,
// apply the config as `wg setconf` would, add the addresses, set the MTU and bring the link up,
// DNS, routes (and a full tunnel's fwmark, table, rules and nftables firewall), PostUp. Any
// failure undoes what was done, the interface included.
import { lookup } from 'node:dns/promises';
import type { Endpoint, IpEndpoint } from '../config/endpoint.js';
import { formatPrefix, parseIp, type IpPrefix } from '../net/ip.js';
import { RtnlClient } from '../netlink/client.js';
import { RT_TABLE } from '../netlink/constants.js';
import { NetlinkError } from '../netlink/message.js';
import { UapiClient } from '../uapi/client.js';
import { configToSetTransaction } from '../uapi/config-transaction.js';
import { daemonCommand, startDaemon } from './daemon.js';
import { Resolvconf } from './dns.js';
import { QuickError } from './errors.js';
import { deleteTablesScript, firewallScript, firewallTableName, nftFamily } from './firewall.js';
import { runHooks } from './hooks.js';
import { loadConfig } from './load.js';
import { Nft } from './nft.js';
import { stderrLog, type QuickOptions } from './options.js';
import { defaultRouteMtu, endpointPathMtus } from './path-mtu.js';
import { automaticMtu, fullTunnelRules, fullTunnelTable, planRoutes, prefixContains, ruleCommand, type PlannedRoute } from './plan.js';
import { requireRoot } from './privileges.js';
import { enableSrcValidMark, strictReversePathFilter } from './sysctl.js';
import { Steps, type Log } from './steps.js';

export interface UpResult {
  iface: string;
  /** The config file read (symbolic links resolved). */
  configFile: string;
  mtu: number;
  /** The table and fwmark of a full tunnel, when the config makes one. */
  fullTunnelTable?: number;
}

export async function up(options: QuickOptions): Promise<UpResult> {
  const log = options.log ?? stderrLog;
  const env = options.env ?? process.env;
  const { path, iface, config, table } = await loadConfig(options.config, options.configDir, log);
  requireRoot('viaguard up');
  const settings = config.interface;
  const resolvconf = settings.dns.length ? Resolvconf.require(env) : undefined;
  const daemon = daemonCommand(options.daemon, env);

  const nl = new RtnlClient();
  const steps = new Steps(log, options.signal);
  try {
    if (await linkExists(nl, iface)) throw new QuickError(`\`${iface}' already exists`);
    // Registered first: a daemon that fails half-way may still have left its link behind.
    steps.onUndo(`ip link delete dev ${iface}`, () => deleteLinkIfPresent(nl, iface));
    await startDaemon(daemon, iface, { env, peerSelection: settings.peerSelection, log });
    steps.checkpoint();
    await runHooks('PreUp', settings.preUp, iface, env, log);

    const uapi = new UapiClient(iface);
    await steps.run(`wg setconf ${iface} <${path} without wg-quick's keys>`, async () => {
      const tx = await configToSetTransaction(config, { replace: true, resolve: resolveEndpoint });
      const errno = await uapi.apply(tx);
      if (errno !== 0) {
        const hint = settings.sourceCheck && errno === -22 ? ' (SourceCheck needs viaguardd)' : '';
        throw new QuickError(`${iface}: the daemon rejected the configuration (errno=${errno})${hint}`);
      }
    });
    for (const address of settings.addresses) {
      await steps.run(`ip -${address.family} address add ${formatPrefix(address)} dev ${iface}`, () => nl.addAddress(iface, address));
    }

    const device = await uapi.get();
    const endpoints = device.peers.flatMap((peer) => (peer.endpoint ? [peer.endpoint.address] : []));
    const mtu = settings.mtu ?? automaticMtu(await endpointPathMtus(nl, endpoints), await defaultRouteMtu(nl));
    await steps.run(`ip link set mtu ${mtu} up dev ${iface}`, () => nl.setLink(iface, { mtu, up: true }));

    if (resolvconf) {
      steps.checkpoint();
      await resolvconf.set(iface, { servers: settings.dns, search: settings.dnsSearch }, log);
      steps.onUndo(`resolvconf -d ${resolvconf.interfaceName(iface)} -f`, () => resolvconf.unset(iface, () => undefined));
    }

    const plan = planRoutes(device.peers.flatMap((peer) => [...peer.allowedIps]), table);
    for (const route of plan.routes) await addRoute(nl, steps, iface, route);
    let tunnelTable: number | undefined;
    if (plan.fullTunnel.length) {
      tunnelTable = await setUpFullTunnel({ nl, uapi, steps, iface, fwmark: device.fwmark, defaults: plan.fullTunnel, nft: Nft.find(env), log });
    }

    steps.checkpoint();
    await runHooks('PostUp', settings.postUp, iface, env, log);
    steps.checkpoint();
    return { iface, configFile: path, mtu, ...(tunnelTable === undefined ? {} : { fullTunnelTable: tunnelTable }) };
  } catch (error) {
    await steps.rollBack();
    throw error;
  } finally {
    nl.close();
  }
}

async function linkExists(nl: RtnlClient, iface: string): Promise<boolean> {
  try {
    await nl.getLink(iface);
    return true;
  } catch (error) {
    if (error instanceof NetlinkError && error.code === 'ENODEV') return false;
    throw error;
  }
}

async function deleteLinkIfPresent(nl: RtnlClient, iface: string): Promise<void> {
  if (await linkExists(nl, iface)) await nl.deleteLink(iface);
}

/** Endpoint names are resolved as `wg` does, through the system's resolver (first answer). */
async function resolveEndpoint(endpoint: Endpoint): Promise<IpEndpoint> {
  try {
    const { address } = await lookup(endpoint.host);
    const ip = parseIp(address);
    if (!ip) throw new Error(`unexpected address ${address}`);
    return { address: ip, port: endpoint.port };
  } catch (error) {
    throw new QuickError(`Endpoint ${endpoint.host}: cannot resolve the name (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

async function addRoute(nl: RtnlClient, steps: Steps, iface: string, route: PlannedRoute): Promise<void> {
  const { destination, table } = route;
  if (route.unlessCovered) {
    const existing = await nl.listRoutes({ family: destination.family, table, dev: iface });
    if (existing.some((r) => prefixContains(r.destination, destination))) return;
  }
  const tableText = table === RT_TABLE.MAIN && route.unlessCovered ? '' : ` table ${table}`;
  await steps.run(`ip -${destination.family} route add ${formatPrefix(destination)} dev ${iface}${tableText}`, () =>
    nl.addRoute({ destination, dev: iface, table }),
  );
}

interface FullTunnel {
  nl: RtnlClient;
  uapi: UapiClient;
  steps: Steps;
  iface: string;
  /** The device's fwmark after setconf, if any. */
  fwmark: number | undefined;
  defaults: IpPrefix[];
  /** Undefined when nft(8) is not installed. */
  nft: Nft | undefined;
  log: Log;
}

/**
 * wg-quick's add_default: the fwmark (the device's, or the first free table from 51820 set as
 * its fwmark), the two policy rules and the default route in that table, the firewall rules of
 * firewall.ts through nft(8), src_valid_mark for IPv4.
 */
async function setUpFullTunnel({ nl, uapi, steps, iface, fwmark, defaults, nft, log }: FullTunnel): Promise<number> {
  const table = await fullTunnelTable(fwmark, async (candidate) => (await nl.listRoutes({ table: candidate })).length > 0);
  if (!fwmark) {
    await steps.run(`wg set ${iface} fwmark ${table}`, async () => {
      const errno = await uapi.set([`fwmark=${table}`]);
      if (errno !== 0) throw new QuickError(`${iface}: the daemon refused fwmark ${table} (errno=${errno})`);
    });
  }
  const nftTable = firewallTableName(iface);
  if (!nft) log(`Warning: nft(8) is not installed: wg-quick's firewall rules for ${iface} (anti-spoofing, CONNMARK of the daemon's UDP) are not added`);
  else if (!nftTable) log(`Warning: \`${iface}' cannot name an nftables table ('=' and '+' are not allowed there): wg-quick's firewall rules are not added`);
  for (const destination of defaults) {
    const { family } = destination;
    for (const rule of fullTunnelRules(family, table)) {
      await steps.run(ruleCommand('add', rule), () => nl.addRule(rule));
      steps.onUndo(ruleCommand('delete', rule), () => nl.deleteRule(rule));
    }
    await steps.run(`ip -${family} route add ${formatPrefix(destination)} dev ${iface} table ${table}`, () => nl.addRoute({ destination, dev: iface, table }));
    if (nft && nftTable) {
      // As wg-quick (`ip -o addr show dev IF`): every address of the family the link has now.
      const addresses = (await nl.listAddresses({ family, dev: iface })).map((a) => a.address);
      const qualified = `${nftFamily(family)} ${nftTable}`;
      await steps.run(`nft -f - (table ${qualified}: preraw, premangle, postmangle)`, () => nft.apply(firewallScript(nftTable, iface, family, addresses, table)));
      steps.onUndo(`nft delete table ${qualified}`, () => nft.apply(deleteTablesScript([qualified])));
    }
    if (family === 4) {
      if (await enableSrcValidMark()) log('[#] sysctl -q net.ipv4.conf.all.src_valid_mark=1');
      if (!(nft && nftTable) && (await strictReversePathFilter())) {
        log('Warning: net.ipv4.conf.all.rp_filter=1 (strict) drops replies from endpoints reached through the default route unless wg-quick\'s CONNMARK firewall rules are in place; use rp_filter=2');
      }
    }
  }
  return table;
}
