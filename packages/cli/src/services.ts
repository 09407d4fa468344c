import type { ServiceDefinition } from '@trustplane/kernel';

/**
 * Every service the platform runs, in start order (account first: media trusts its keys). Each is
 * imported only when a command needs it: loading every service is most of a process start
 * (README "What a test costs"), and `trustplane start kyc` or `trustplane mail list` need one or none.
 */
const catalogue: readonly { name: string; load: () => Promise<ServiceDefinition> }[] = [
  { name: 'account', load: async () => (await import('@trustplane/account')).accountService },
  { name: 'media', load: async () => (await import('@trustplane/media')).mediaService },
  { name: 'notification', load: async () => (await import('@trustplane/notification')).notificationService },
  { name: 'kyc', load: async () => (await import('@trustplane/kyc')).kycService },
  { name: 'biometry', load: async () => (await import('@trustplane/biometry')).biometryService },
  { name: 'verifact', load: async () => (await import('@trustplane/verifact')).verifactService },
  { name: 'backlex', load: async () => (await import('@trustplane/backlex')).backlexService },
];

/** The services' names, in start order, without loading any of them. */
export const serviceNames: readonly string[] = catalogue.map((entry) => entry.name);

/**
 * The named services (every service when none is named), loaded, in start order; an unknown name
 * is a usage error.
 */
export async function loadServices(names: readonly string[] = []): Promise<ServiceDefinition[]> {
  const unknown = names.filter((name) => !serviceNames.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown service: ${unknown.join(', ')} (known: ${serviceNames.join(', ')})`);
  }
  const selected = catalogue.filter((entry) => names.length === 0 || names.includes(entry.name));
  const definitions: ServiceDefinition[] = [];
  // One after the other: the modules evaluate in a fixed order, whatever the named order.
  for (const entry of selected) {
    const definition = await entry.load();
    if (definition.name !== entry.name)
      throw new Error(`the catalogue's ${entry.name} loads ${definition.name}`);
    definitions.push(definition);
  }
  return definitions;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
