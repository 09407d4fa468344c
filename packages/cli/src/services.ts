import { accountService } from '@trustplane/account';
import { backlexService } from '@trustplane/backlex';
import { biometryService } from '@trustplane/biometry';
import type { ServiceDefinition } from '@trustplane/kernel';
import { kycService } from '@trustplane/kyc';
import { mediaService } from '@trustplane/media';
import { notificationService } from '@trustplane/notification';
import { verifactService } from '@trustplane/verifact';

/** Every service the platform runs, in start order (account first: media trusts its keys). */
export const allServices: ServiceDefinition[] = [
  accountService,
  mediaService,
  notificationService,
  kycService,
  biometryService,
  verifactService,
  backlexService,
];

export function selectServices(names: string[]): ServiceDefinition[] {
  if (names.length === 0) return allServices;
  const unknown = names.filter((name) => !allServices.some((service) => service.name === name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown service: ${unknown.join(', ')} (known: ${allServices.map((service) => service.name).join(', ')})`,
    );
  }
  return allServices.filter((service) => names.includes(service.name));
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
