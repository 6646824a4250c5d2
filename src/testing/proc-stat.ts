// What /proc says of a process or thread, for tests and benchmarks: CPU time used, how often it
// slept, and whether it is still there.
import { readFileSync } from 'node:fs';

/** The kernel's USER_HZ: the unit of the tick counts in /proc stat files. */
export const TICKS_PER_SECOND = 100;

/** CPU ticks (user + system) of a stat file: /proc/PID/stat, or /proc/PID/task/TID/stat for a thread. */
export function cpuTicks(statFile: string): number {
  // The fields after the parenthesised name: utime and stime are the 12th and 13th.
  const fields = readFileSync(statFile, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * How many times a thread went to sleep (voluntary context switches): an idle thread's count
 * grows by one per wake-up. statusFile: /proc/PID/status (the main thread) or /proc/PID/task/TID/status.
 */
export function voluntaryContextSwitches(statusFile: string): number {
  const match = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(statusFile, 'utf8'));
  if (!match) throw new Error(`${statusFile} has no voluntary_ctxt_switches line`);
  return Number(match[1]);
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
