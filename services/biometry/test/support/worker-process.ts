// A biometry worker in its own process, for the crash-recovery test: it is killed mid-job.
import { loadPlatformConfig, Platform } from '@trustplane/kernel';
import { biometryService } from '../../src/index.js';

const platform = await Platform.open({ config: loadPlatformConfig(process.env), role: 'worker' });
const context = platform.createContext(biometryService, biometryService.ports.http);
biometryService.defineJobs?.(context);
await biometryService.startWorkers?.(context);
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  platform.close().finally(() => process.exit(0));
});
