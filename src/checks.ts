// Argument checks of the typed wrappers around the native addon: a wrong type is a TypeError,
// a wrong size or value a RangeError, each naming the argument.

const U64_LIMIT = 2n ** 64n;

export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

export function checkU64(value: unknown, name: string): bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint`);
  if (value < 0n || value >= U64_LIMIT) throw new RangeError(`${name} must be in [0, 2^64)`);
  return value;
}

export function checkBytes(value: unknown, name: string, exactLength?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (exactLength !== undefined && value.length !== exactLength) {
    throw new RangeError(`${name} must be ${exactLength} bytes, got ${value.length}`);
  }
  return value;
}

export function checkOptionalBytes(value: unknown, name: string): Uint8Array | null {
  return value === undefined || value === null ? null : checkBytes(value, name);
}
