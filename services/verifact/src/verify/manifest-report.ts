import type { AttestationType, PhotoStatus } from '../db/tables.js';
import { bindingFields, type ClaimBindingFields, type VaultOpener } from './vault.js';

/** Verifact's own assertion labels (the Android client writes them). */
export const CLAIM_BINDING_LABEL = 'in.co.verifact.claim-binding';
export const VAULT_LABEL = 'in.co.verifact.vault';
export const DEVICE_LABEL = 'in.co.verifact.device';

/** Alerts the service adds to the c2pa-rs status codes. */
export const ALERTS = {
  unreadableManifest: 'verifact.manifest_unreadable',
  resourceLimit: 'verifact.resource_limit',
  exifMismatch: 'verifact.exif_mismatch',
  captureTimeSkew: 'verifact.capture_time_skew',
  bindingExpired: 'verifact.binding_expired',
  vaultUnreadable: 'verifact.vault_unreadable',
  noActiveManifest: 'verifact.no_active_manifest',
} as const;

const CAPTURE_SKEW_MS = 5 * 60_000;
const HW_ATTESTATION = new Set<AttestationType>(['StrongBox', 'TEE', 'SecureEnclave', 'software', 'none']);

export interface ClaimBinding extends ClaimBindingFields {
  source: 'manifest' | 'vault_decrypted' | 'none';
}

export interface Gps {
  lat: number;
  lon: number;
  accuracy?: number;
  satellites: number | null;
}

export interface Device {
  model: string;
  attestationType: string;
  rooted: boolean | null;
  emulator: boolean | null;
  osVersion: string | null;
}

/** Everything verification found, before it is shaped as the seed's `VerifyResult`. */
export interface VerifyFacts {
  status: 'verified' | 'tampered' | 'unverified';
  /** What the tenant's photos with these bytes become. */
  photoStatus: PhotoStatus;
  assertions: number;
  claimBinding: ClaimBinding | null;
  gps: Gps | null;
  device: Device | null;
  ntpSynced: boolean | null;
  alerts: string[];
  capturedAt: Date | null;
}

/** The parts of the header EXIF (exifr, raw values) compared with the signed `stds.exif`. */
export interface HeaderExif {
  make?: string;
  model?: string;
  /** Only when the header also states its UTC offset (OffsetTimeOriginal): a wall clock alone is no instant. */
  capturedAt?: Date;
  latitude?: number;
  longitude?: number;
}

interface Assertion {
  label: string;
  data?: unknown;
}

interface StatusEntry {
  code: string;
  url?: string;
}

interface ManifestStoreJson {
  active_manifest?: string;
  manifests?: Record<
    string,
    { assertions?: Assertion[]; signature_info?: { time?: string } | null } & Record<string, unknown>
  >;
  validation_state?: string;
  validation_status?: StatusEntry[];
  validation_results?: {
    activeManifest?: { failure?: StatusEntry[]; informational?: StatusEntry[] };
  };
}

export const UNVERIFIED: VerifyFacts = {
  status: 'unverified',
  photoStatus: 'unverified',
  assertions: 0,
  claimBinding: null,
  gps: null,
  device: null,
  ntpSynced: null,
  alerts: [],
  capturedAt: null,
};

/** A manifest is there but could not be judged (reader error, bomb): tampered, with why. */
export function unreadable(alert: string): VerifyFacts {
  return { ...UNVERIFIED, status: 'tampered', photoStatus: 'tampered', alerts: [alert] };
}

function alertFor(entry: StatusEntry): string {
  // A CAWG identity assertion signed by an untrusted credential does not taint the claim signer.
  if (entry.url?.includes('cawg.identity')) {
    return entry.code === 'signingCredential.untrusted'
      ? 'cawg.identity.untrusted'
      : `cawg.identity.${entry.code}`;
  }
  return entry.code;
}

/** Signed EXIF of every `stds.exif` assertion, keys lowercased without their `exif:`/`tiff:`/`EXIF:` prefix. */
function signedExif(assertions: Assertion[]): Map<string, unknown> {
  const merged = new Map<string, unknown>();
  for (const assertion of assertions) {
    if (assertion.label !== 'stds.exif' || typeof assertion.data !== 'object' || assertion.data === null)
      continue;
    for (const [key, value] of Object.entries(assertion.data as Record<string, unknown>)) {
      if (key === '@context') continue;
      merged.set(key.replace(/^[^:]*:/, '').toLowerCase(), value);
    }
  }
  return merged;
}

/** `48,51.3984N` (XMP degrees,minutes[,seconds] + ref) or a signed decimal; undefined when neither. */
export function parseCoordinate(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return Number(text);
  const match = /^(\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(?:,(\d+(?:\.\d+)?))?([NSEW])$/i.exec(text);
  if (!match) return undefined;
  const degrees = Number(match[1]) + Number(match[2]) / 60 + Number(match[3] ?? 0) / 3600;
  return /[SW]/i.test(match[4] as string) ? -degrees : degrees;
}

function rational(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const fraction = /^(-?\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(value.trim());
  if (fraction) return Number(fraction[2]) === 0 ? undefined : Number(fraction[1]) / Number(fraction[2]);
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function sameText(a: unknown, b: unknown): boolean {
  return String(a).trim().toLowerCase() === String(b).trim().toLowerCase();
}

function exifDiffers(signed: Map<string, unknown>, header: HeaderExif): boolean {
  if (signed.size === 0) return false;
  if (header.make !== undefined && signed.has('make') && !sameText(header.make, signed.get('make')))
    return true;
  if (header.model !== undefined && signed.has('model') && !sameText(header.model, signed.get('model')))
    return true;
  const original = dateOf(signed.get('datetimeoriginal'));
  if (header.capturedAt && original && Math.abs(header.capturedAt.getTime() - original.getTime()) > 2000)
    return true;
  const lat = parseCoordinate(signed.get('gpslatitude'));
  const lon = parseCoordinate(signed.get('gpslongitude'));
  if (header.latitude !== undefined && lat !== undefined && Math.abs(header.latitude - lat) > 1e-4)
    return true;
  if (header.longitude !== undefined && lon !== undefined && Math.abs(header.longitude - lon) > 1e-4)
    return true;
  return false;
}

function isAiGenerated(assertions: Assertion[]): boolean {
  return assertions.some((assertion) => {
    if (!assertion.label.startsWith('c2pa.actions')) return false;
    const actions = (assertion.data as { actions?: { digitalSourceType?: unknown }[] } | undefined)?.actions;
    return (actions ?? []).some(
      (action) =>
        typeof action.digitalSourceType === 'string' &&
        /\/trainedAlgorithmicMedia$/.test(action.digitalSourceType),
    );
  });
}

function createdAt(assertions: Assertion[]): Date | undefined {
  for (const assertion of assertions) {
    if (!assertion.label.startsWith('c2pa.actions')) continue;
    const actions = (assertion.data as { actions?: { action?: string; when?: unknown }[] } | undefined)
      ?.actions;
    const created = (actions ?? []).find((action) => action.action === 'c2pa.created');
    const when = dateOf(created?.when);
    if (when) return when;
  }
  return undefined;
}

function deviceFrom(
  assertions: Assertion[],
  exif: Map<string, unknown>,
): { device: Device | null; ntp: boolean | null } {
  const own = assertions.find((assertion) => assertion.label === DEVICE_LABEL)?.data as
    | Record<string, unknown>
    | undefined;
  const attestation = assertions.find((assertion) => /(^|\.)device-attestation$/.test(assertion.label))
    ?.data as Record<string, unknown> | undefined;
  const make = typeof exif.get('make') === 'string' ? String(exif.get('make')) : undefined;
  const exifModel = typeof exif.get('model') === 'string' ? String(exif.get('model')) : undefined;
  const model =
    (typeof own?.model === 'string' ? own.model : undefined) ??
    ([make, exifModel].filter(Boolean).join(' ') || undefined);
  const declared = own?.attestationType ?? attestation?.securityLevel;
  const attestationType =
    typeof declared === 'string' && HW_ATTESTATION.has(declared as AttestationType) ? declared : undefined;
  const ntp = typeof own?.ntpSynced === 'boolean' ? own.ntpSynced : null;
  if (!model && !attestationType && !own) return { device: null, ntp };
  const flag = (value: unknown) => (typeof value === 'boolean' ? value : null);
  return {
    device: {
      model: model ?? 'unknown',
      attestationType: attestationType ?? 'none',
      rooted: flag(own?.rooted),
      emulator: flag(own?.emulator),
      osVersion: typeof own?.osVersion === 'string' ? own.osVersion : null,
    },
    ntp,
  };
}

/**
 * Judges a manifest store read by c2pa-rs: `Invalid` → tampered; `Valid`/`Trusted` → verified
 * (an untrusted signer stays an alert); the active manifest's status codes become alerts,
 * ingredient errors do not. GPS, device and capture time come from signed assertions only.
 */
export async function reportManifest(
  storeJson: string,
  header: HeaderExif,
  openVault: VaultOpener,
  now = new Date(),
): Promise<VerifyFacts> {
  let store: ManifestStoreJson;
  try {
    store = JSON.parse(storeJson) as ManifestStoreJson;
  } catch {
    return unreadable(ALERTS.unreadableManifest);
  }
  const active = store.active_manifest ? store.manifests?.[store.active_manifest] : undefined;
  if (!active) return unreadable(ALERTS.noActiveManifest);
  const assertions = Array.isArray(active.assertions) ? active.assertions : [];
  const results = store.validation_results?.activeManifest;
  const entries = results
    ? [...(results.failure ?? []), ...(results.informational ?? [])]
    : (store.validation_status ?? []);
  const alerts = new Set(entries.map(alertFor));
  const status = store.validation_state === 'Invalid' ? 'tampered' : 'verified';

  const exif = signedExif(assertions);
  if (exifDiffers(exif, header)) alerts.add(ALERTS.exifMismatch);

  const capturedAt = dateOf(exif.get('datetimeoriginal')) ?? createdAt(assertions) ?? null;
  const trustedTime = dateOf(active.signature_info?.time);
  if (capturedAt && trustedTime && Math.abs(capturedAt.getTime() - trustedTime.getTime()) > CAPTURE_SKEW_MS) {
    alerts.add(ALERTS.captureTimeSkew);
  }

  const lat = parseCoordinate(exif.get('gpslatitude'));
  const lon = parseCoordinate(exif.get('gpslongitude'));
  const accuracy = rational(exif.get('gpshorizontalaccuracy') ?? exif.get('gpshpositioningerror'));
  const satellites = rational(exif.get('gpssatellites'));
  const gps: Gps | null =
    lat !== undefined && lon !== undefined && Math.abs(lat) <= 90 && Math.abs(lon) <= 180
      ? {
          lat,
          lon,
          ...(accuracy !== undefined ? { accuracy } : {}),
          satellites: satellites !== undefined ? Math.round(satellites) : null,
        }
      : null;

  const { device, ntp } = deviceFrom(assertions, exif);

  let claimBinding: ClaimBinding = { source: 'none' };
  const bound = bindingFields(assertions.find((assertion) => assertion.label === CLAIM_BINDING_LABEL)?.data);
  if (bound) {
    claimBinding = { ...bound, source: 'manifest' };
  } else {
    const vault = assertions.find((assertion) => assertion.label === VAULT_LABEL)?.data as
      | Record<string, unknown>
      | undefined;
    const jwe = typeof vault?.jwe === 'string' ? vault.jwe : undefined;
    if (jwe) {
      const opened = await openVault(jwe);
      if (opened) claimBinding = { ...opened, source: 'vault_decrypted' };
      else alerts.add(ALERTS.vaultUnreadable);
    }
  }
  const expiresAt = dateOf(claimBinding.expiresAt);
  if (expiresAt && expiresAt.getTime() < (capturedAt ?? trustedTime ?? now).getTime()) {
    alerts.add(ALERTS.bindingExpired);
  }

  const photoStatus: PhotoStatus =
    status === 'tampered'
      ? 'tampered'
      : isAiGenerated(assertions)
        ? 'ai_generated'
        : claimBinding.source === 'none'
          ? 'third_party'
          : 'verified';
  return {
    status,
    photoStatus,
    assertions: assertions.length,
    claimBinding,
    gps,
    device,
    ntpSynced: ntp,
    alerts: [...alerts],
    capturedAt,
  };
}
