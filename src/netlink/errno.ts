// errno numbers in messages: the symbolic name and the C library's text (glibc strerror), the way
// `ip` reports them. Node knows every name; its texts are libuv's, so the errnos rtnetlink
// commonly returns carry glibc's wording here.
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

const GLIBC_TEXT: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  ENOSPC: 'No space left on device',
  ERANGE: 'Numerical result out of range',
  EMSGSIZE: 'Message too long',
  ENOPROTOOPT: 'Protocol not available',
  EPROTONOSUPPORT: 'Protocol not supported',
  EOPNOTSUPP: 'Operation not supported',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ENETDOWN: 'Network is down',
  ENETUNREACH: 'Network is unreachable',
  ENOBUFS: 'No buffer space available',
  EHOSTUNREACH: 'No route to host',
  ENOTSUP: 'Operation not supported',
};

const NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  // Aliases (EWOULDBLOCK = EAGAIN, ENOTSUP = EOPNOTSUPP): the first one listed wins.
  if (!NAMES.has(value)) NAMES.set(value, name);
}

/** "EEXIST" for 17; "E123" for an errno Node does not know. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

/** "File exists" for 17. */
export function errnoText(errno: number): string {
  const name = errnoName(errno);
  const known = GLIBC_TEXT[name];
  if (known) return known;
  const libuv = getSystemErrorMap().get(-errno)?.[1];
  return libuv ? libuv.charAt(0).toUpperCase() + libuv.slice(1) : `Unknown error ${errno}`;
}
