// Garbage collections of this process, for benchmarks' server processes: a parent sends SIGUSR2
// and reads one JSON line on fd 3, { minor, major, majorMs }. A transfer that allocates a buffer
// per chunk can push V8 into back-to-back full collections; counting them tells that apart from a
// busy machine.
import { writeSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';

export function reportGcOnSignal(fd = 3): void {
  const counts = { minor: 0, major: 0, majorMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        counts.major++;
        counts.majorMs += entry.duration;
      } else counts.minor++;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    writeSync(fd, `${JSON.stringify({ ...counts, majorMs: Math.round(counts.majorMs) })}\n`);
  });
}
