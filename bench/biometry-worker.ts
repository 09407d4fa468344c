// One biometry worker process for the benchmark; prints its peak RSS when asked to stop.
import { loadPlatformConfig, Platform } from '@trustplane/kernel';
import { biometryService } from '../services/biometry/src/index.js';

const platform = await Platform.open({ config: loadPlatformConfig(process.env), role: 'worker' });
const context = platform.createContext(biometryService, biometryService.ports.http);
biometryService.defineJobs?.(context);
const workers = await biometryService.startWorkers?.(context);
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await workers?.stop();
  await platform.close();
  process.stdout.write(`${JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
  process.exit(0);
});
