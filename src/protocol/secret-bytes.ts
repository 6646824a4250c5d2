// Key material kept where fill(0) reaches every copy. V8 stores a typed array of up to 64 bytes
// inside its heap, and its garbage collector copies such objects when it moves them, leaving
// stale copies of a key behind; the bytes of an explicitly created ArrayBuffer live outside the
// heap, in one place, until they are zeroed.
export function secretCopy(source: Uint8Array): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(source.length));
  out.set(source);
  return out;
}

export function secretZeros(length: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(length));
}
