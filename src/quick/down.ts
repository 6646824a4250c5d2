// `viaguard down CONFIG|IFACE`: what wg-quick(8) down does (cmd_down, del_if): PreDown, save the
// running config when SaveConfig is set, remove a full tunnel's policy rules, delete the link
// (its routes go with it, and the daemon exits and removes its socket), undo DNS, remove the
// interface's nftables tables (remove_firewall), PostDown.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RtnlClient } from '../netlink/client.js';
import { socketPath } from '../uapi/socket-path.js';
import { Resolvconf } from './dns.js';
import { deleteTablesScript, firewallTablesIn } from './firewall.js';
import { runHooks } from './hooks.js';
import { loadConfig } from './load.js';
import { Nft } from './nft.js';
import { stderrLog, type QuickOptions } from './options.js';
import { fullTunnelRulesToRemove, ruleCommand, ruleSelector } from './plan.js';
import { requireRoot } from './privileges.js';
import { runningDevice } from './running-device.js';
import { saveRunningConfig } from './save.js';
import { Steps, type Log } from './steps.js';

const SOCKET_GONE_TIMEOUT_MS = 5000;

export async function down(options: QuickOptions): Promise<void> {
  const log = options.log ?? stderrLog;
  const env = options.env ?? process.env;
  const loaded = await loadConfig(options.config, options.configDir, log);
  requireRoot('viaguard down');
  const { iface, config, table } = loaded;
  const { uapi } = await runningDevice(iface);

  const nl = new RtnlClient();
  const steps = new Steps(log);
  try {
    await runHooks('PreDown', config.interface.preDown, iface, env, log);
    // Read after PreDown, which may have changed the device.
    const device = await uapi.get();
    if (config.interface.saveConfig) await saveRunningConfig(nl, steps, loaded, device);
    const hasDefaultRoute = device.peers.some((peer) => [...peer.allowedIps].some((prefix) => prefix.cidr === 0));
    if (table.kind === 'auto' && device.fwmark && hasDefaultRoute) await removeFullTunnelRules(nl, steps, device.fwmark);
    await steps.run(`ip link delete dev ${iface}`, () => nl.deleteLink(iface));
    await waitForSocketGone(iface, log);
    if (config.interface.dns.length) await unsetDns(iface, env, log);
    await removeFirewall(iface, env, steps, log);
    await runHooks('PostDown', config.interface.postDown, iface, env, log);
  } finally {
    nl.close();
  }
}

async function removeFullTunnelRules(nl: RtnlClient, steps: Steps, table: number): Promise<void> {
  for (const family of [4, 6] as const) {
    const rules = fullTunnelRulesToRemove(await nl.listRules(family), family, table);
    for (const rule of rules) {
      const selector = ruleSelector(rule);
      await steps.run(ruleCommand('delete', selector), () => nl.deleteRule(selector));
    }
  }
}

/** The daemon sees its link vanish, exits and removes its socket; wait so a next `up` finds it gone. */
async function waitForSocketGone(iface: string, log: Log): Promise<void> {
  const path = socketPath(iface);
  for (let waited = 0; waited < SOCKET_GONE_TIMEOUT_MS && existsSync(path); waited += 50) await sleep(50);
  if (existsSync(path)) log(`Warning: ${path} is still there ${SOCKET_GONE_TIMEOUT_MS / 1000} s after the link was deleted`);
}

/**
 * As wg-quick's remove_firewall, whatever the config says now: the tables named after the
 * interface, if nft(8) is installed; a failure is a warning (`remove_firewall || true`).
 */
async function removeFirewall(iface: string, env: NodeJS.ProcessEnv, steps: Steps, log: Log): Promise<void> {
  const nft = Nft.find(env);
  if (!nft) return;
  try {
    const tables = firewallTablesIn(await nft.listTables(), iface);
    if (tables.length) await steps.run(`nft -f - (${tables.map((t) => `delete table ${t}`).join('; ')})`, () => nft.apply(deleteTablesScript(tables)));
  } catch (error) {
    log(`Warning: ${(error as Error).message}`);
  }
}

async function unsetDns(iface: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  const resolvconf = Resolvconf.find(env);
  if (!resolvconf) {
    log('Warning: DNS is set in the config but resolvconf(8) is not installed; nothing to undo');
    return;
  }
  // As wg-quick (`unset_dns || true`): the interface is gone already, finish the teardown.
  await resolvconf.unset(iface, log).catch((error: Error) => log(`Warning: ${error.message}`));
}
