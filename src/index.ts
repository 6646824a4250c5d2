// viaguard's public programmatic API.
export {};
