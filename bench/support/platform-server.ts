// Child process for bench/event-loop.ts: account, biometry and kyc in one process with their
// workers, as `npm start` runs them (embedded PostgreSQL in a fresh data dir, free ports). Prints
// one JSON line with the ports and a biometry API key, and stops on SIGTERM.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { freePort, loadPlatformConfig, runServices } from '@trustplane/kernel';
import { accountService } from '../../services/account/src/index.js';
import { biometryService } from '../../services/biometry/src/index.js';
import { kycService } from '../../services/kyc/src/index.js';

const ports = { account: await freePort(), biometry: await freePort(), kyc: await freePort() };
const env = {
  ...process.env,
  ACCOUNT_PORT: String(ports.account),
  BIOMETRY_PORT: String(ports.biometry),
  KYC_PORT: String(ports.kyc),
};
const config = loadPlatformConfig(env);
const running = await runServices([accountService, biometryService, kycService], {
  config: { ...config, host: '127.0.0.1', publicHost: '127.0.0.1' },
  env,
  listen: true,
  workers: true,
});
const biometry = running.services.find((service) => service.definition.name === 'biometry');
const keyCommand = biometryService.commands?.find((command) => command.path.join(' ') === 'key create');
const created = await keyCommand?.run(biometry!.context, { name: 'bench' });
process.stdout.write(`${JSON.stringify({ ports, biometryKey: created?.key })}\n`);
// The event loop's own delay, to tell a blocked loop from a starved process: SIGUSR2 starts a
// phase, SIGUSR1 prints its figures (ms).
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
let gcPauseMs = 0;
let longestGcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauseMs += entry.duration;
    longestGcMs = Math.max(longestGcMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
process.on('SIGUSR2', () => {
  delay.reset();
  gcPauseMs = 0;
  longestGcMs = 0;
});
process.on('SIGUSR1', () => {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  process.stdout.write(
    `${JSON.stringify({
      eventLoopDelay: {
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
        gcMs: Math.round(gcPauseMs),
        longestGcMs: Math.round(longestGcMs),
      },
    })}\n`,
  );
});
process.on('SIGTERM', () => {
  running.stop().then(() => process.exit(0));
});
