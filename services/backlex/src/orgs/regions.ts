/** Regions of seed 003 (`CreateOrgInput.defaultRegion`). */
export const REGIONS = ['ist', 'fra', 'ams', 'lhr', 'sjc', 'iad', 'sin', 'syd'] as const;
export type Region = (typeof REGIONS)[number];

export const RESIDENCIES = ['eu', 'tr', 'global'] as const;
export type Residency = (typeof RESIDENCIES)[number];

/** Where an org's data may live: `eu` fra/ams, `tr` ist, `global` anywhere (issue 16). */
export const RESIDENCY_REGIONS: Record<Residency, readonly Region[]> = {
  eu: ['fra', 'ams'],
  tr: ['ist'],
  global: REGIONS,
};

export const DEFAULT_REGION: Record<Residency, Region> = { eu: 'fra', tr: 'ist', global: 'iad' };

export function regionAllowed(residency: Residency, region: Region): boolean {
  return RESIDENCY_REGIONS[residency].includes(region);
}
