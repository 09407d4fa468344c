import { readFileSync } from 'node:fs';

/** A CPU clock: milliseconds of CPU time consumed so far (by one thread, or by the process). */
export type CpuClock = () => number;

/** USER_HZ: the unit of `utime`/`stime` in `/proc/…/stat` (100 on every Linux ABI Node runs on). */
const CLOCK_TICKS_PER_SECOND = 100;

/** `/proc/<pid>/task/<tid>/schedstat`: time on CPU in ns, first of three numbers. */
function readSchedstat(path: string): number {
  const ns = Number(readFileSync(path, 'latin1').split(' ', 1)[0]);
  return Number.isFinite(ns) && ns >= 0 ? ns / 1e6 : Number.NaN;
}

/** `/proc/<pid>/task/<tid>/stat`: `utime` and `stime` in clock ticks, fields 14 and 15 (the name, field 2, may hold spaces and parentheses). */
function readStat(path: string): number {
  const text = readFileSync(path, 'latin1');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : Number.NaN;
}

/**
 * The CPU clock of one OS thread of this process, from procfs (Linux): `thread` is what
 * `/proc/thread-self` links to inside that thread (`<pid>/task/<tid>`). Node 20 has no per-thread
 * CPU clock (`process.threadCpuUsage` arrived in Node 23.9; `process.cpuUsage` and
 * `resourceUsage` are the whole process's; a worker's `performance.eventLoopUtilization` counts
 * its loop's busy wall time, which grows as fast when the thread waits for a core). `schedstat`
 * (ns) is read when the kernel has it, else `stat` (10 ms ticks). Null when neither is readable
 * (not Linux, procfs hidden). The clock is read synchronously: one small procfs file, a few µs.
 * After the thread has exited a read fails and the clock holds its last value.
 */
export function threadCpuClock(thread: string | null): CpuClock | null {
  if (!thread || !/^\d+\/task\/\d+$/.test(thread)) return null;
  for (const [file, read] of [
    ['schedstat', readSchedstat],
    ['stat', readStat],
  ] as const) {
    const path = `/proc/${thread}/${file}`;
    let first: number;
    try {
      first = read(path);
    } catch {
      continue;
    }
    if (Number.isNaN(first)) continue;
    let last = first;
    return () => {
      try {
        const now = read(path);
        if (!Number.isNaN(now)) last = now;
      } catch {
        // The thread is gone (terminated): its time stopped there.
      }
      return last;
    };
  }
  return null;
}

/** The whole process's CPU time, every thread: the fallback where a thread's own clock cannot be read. */
export const processCpuClock: CpuClock = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
