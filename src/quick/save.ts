// `viaguard save CONFIG|IFACE` (wg-quick's save_config, also run by `down` under SaveConfig):
// the running interface written back to its config file.
import { RtnlClient } from '../netlink/client.js';
import { configFromStatus } from '../uapi/status-config.js';
import type { DeviceSnapshot } from '../uapi/status.js';
import { loadConfig, type LoadedConfig } from './load.js';
import { stderrLog, type QuickOptions } from './options.js';
import { requireRoot } from './privileges.js';
import { runningDevice } from './running-device.js';
import { addressesToSave, configToSave, writeConfigFile } from './save-config.js';
import { Steps } from './steps.js';

export async function save(options: QuickOptions): Promise<void> {
  const log = options.log ?? stderrLog;
  const loaded = await loadConfig(options.config, options.configDir, log);
  requireRoot('viaguard save');
  const { device } = await runningDevice(loaded.iface);
  const nl = new RtnlClient();
  try {
    await saveRunningConfig(nl, new Steps(log), loaded, device);
  } finally {
    nl.close();
  }
}

export async function saveRunningConfig(nl: RtnlClient, steps: Steps, loaded: LoadedConfig, device: DeviceSnapshot): Promise<void> {
  const { iface, path, config } = loaded;
  await steps.run(`wg showconf ${iface} > ${path}`, async () => {
    const link = await nl.getLink(iface);
    const addresses = addressesToSave(await nl.listAddresses({ dev: iface }), config.interface.addresses);
    await writeConfigFile(path, configToSave(configFromStatus(device), config.interface, { addresses, mtu: link.mtu }));
  });
}
