// The exact surface of the native addon (native/binding/*.cc). Callers never use it directly:
// the typed wrappers beside it validate every argument first, so no JavaScript value can
// reach C++ unchecked.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NativeAddon {}
