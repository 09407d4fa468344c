import { fileURLToPath } from 'node:url';
import { packageVersion, type ServiceDefinition } from '@trustplane/kernel';
import { buildKycApp } from './http/app.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

export const kycService: ServiceDefinition = {
  name: 'kyc',
  title: 'KYC verification',
  version,
  schema: 'kyc',
  migrationsDir: fileURLToPath(new URL('../migrations', import.meta.url)),
  ports: { http: 4488 },
  buildHttp: (context) => buildKycApp(context, version),
};
