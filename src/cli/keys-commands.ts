// `viaguard genkey | genpsk | pubkey`, as wg (wireguard-tools src/genkey.c, src/pubkey.c):
// base64 keys, one per line; genkey clamps the private key, genpsk does not; pubkey reads a
// private key on stdin.
import { randomBytes } from 'node:crypto';
import { clampPrivateKey, keyToBase64 } from '../config/keys.js';
import type { CliIo } from './cli-io.js';
import { CliError } from './errors.js';
import { parseKeyFile } from './key-file.js';
import { publicKeyFromPrivate } from '../config/public-key.js';

function noArguments(name: string, args: string[]): void {
  if (args.length) throw new CliError(`${name} takes no arguments; usage: viaguard ${name}`);
}

export function genkeyCommand(clamp: boolean) {
  const name = clamp ? 'genkey' : 'genpsk';
  return async (args: string[], io: CliIo): Promise<number> => {
    noArguments(name, args);
    // genkey.c: a key written into a file others can read deserves a warning.
    if (io.stdoutIsWorldReadableFile()) io.warn('Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n');
    const key = new Uint8Array(randomBytes(32));
    io.write(`${keyToBase64(clamp ? clampPrivateKey(key) : key)}\n`);
    return 0;
  };
}

export async function pubkeyCommand(args: string[], io: CliIo): Promise<number> {
  noArguments('pubkey', args);
  const input = await io.readStdin();
  if (!input.length) throw new CliError('pubkey: expected a base64 private key on stdin, got nothing');
  const privateKey = parseKeyFile(input, 'pubkey: stdin');
  io.write(`${keyToBase64(publicKeyFromPrivate(privateKey))}\n`);
  return 0;
}
