// The API's one error type: what was asked, why it failed, and the daemon's errno when it refused.
export class DeviceError extends Error {
  /** The daemon's negative errno (-22 EINVAL, -98 EADDRINUSE, …) when it answered with one. */
  readonly errno: number | undefined;

  constructor(message: string, options: ErrorOptions & { errno?: number } = {}) {
    super(message, options);
    this.name = 'DeviceError';
    this.errno = options.errno;
  }
}
