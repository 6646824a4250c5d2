// UAPI failures carry a negative errno, as wireguard-go answers them (ipc/uapi_unix.go):
// -22 EINVAL for a bad key or value, -71 EPROTO for a malformed line, -5 EIO, -98 EADDRINUSE.
import { constants } from 'node:os';

export const UAPI_ERRNO = {
  EIO: -constants.errno.EIO,
  EINVAL: -constants.errno.EINVAL,
  EPROTO: -constants.errno.EPROTO,
  EADDRINUSE: -constants.errno.EADDRINUSE,
} as const;

export class UapiError extends Error {
  /** Negative errno sent back as `errno=N`. */
  readonly errno: number;
  /** The request line at fault (the `get=1`/`set=1` line is line 1), when there is one. */
  readonly line: number | undefined;

  constructor(errno: number, message: string, line?: number) {
    if (!Number.isInteger(errno) || errno >= 0) throw new RangeError(`a UAPI errno is a negative integer, got ${errno}`);
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'UapiError';
    this.errno = errno;
    this.line = line;
  }
}
