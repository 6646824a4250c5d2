// Key files as `wg set … private-key FILE` and `preshared-key FILE` read them (wireguard-tools
// src/config.c parse_keyfile): an empty file (/dev/null) means "no key" (all zero); otherwise a
// base64 key of 44 characters, followed by nothing but whitespace.
import { keyFromBase64, KEY_LENGTH } from '../config/keys.js';
import { CliError } from './errors.js';
import { readUserFile } from './read-file.js';

const BASE64_KEY_LENGTH = 44;

export function parseKeyFile(content: Buffer, path: string): Uint8Array {
  if (content.length === 0) return new Uint8Array(KEY_LENGTH);
  if (content.length < BASE64_KEY_LENGTH) throw new CliError(`${path}: the key has an invalid length (expected ${BASE64_KEY_LENGTH} base64 characters)`);
  const text = content.subarray(0, BASE64_KEY_LENGTH).toString('latin1');
  const trailing = content.subarray(BASE64_KEY_LENGTH).toString('latin1');
  const stray = /[^ \t\n\v\f\r]/.exec(trailing);
  if (stray) throw new CliError(`${path}: trailing character after the key: ${JSON.stringify(stray[0])}`);
  const key = keyFromBase64(text);
  if (!key) throw new CliError(`${path}: not a base64 key of 32 bytes`);
  return key;
}

export async function readKeyFile(path: string): Promise<Uint8Array> {
  return parseKeyFile(await readUserFile(path), path);
}
