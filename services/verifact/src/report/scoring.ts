import type { PhotoRow } from '../db/photo-repository.js';
import type { RiskBand } from '../db/tables.js';

const HW_ATTESTED = new Set(['StrongBox', 'TEE', 'SecureEnclave']);

export function hwAttested(photo: Pick<PhotoRow, 'attestation_type'>): boolean {
  return photo.attestation_type !== null && HW_ATTESTED.has(photo.attestation_type);
}

/**
 * Photo integrity 0–1: 0 if tampered or AI-generated, else 0.5·verified + 0.2·hardware
 * attestation + 0.15·GPS + 0.15·NTP-synced clock.
 */
export function photoIntegrity(photo: PhotoRow): number {
  if (photo.verify_status === 'tampered' || photo.verify_status === 'ai_generated') return 0;
  const score =
    0.5 * (photo.verify_status === 'verified' ? 1 : 0) +
    0.2 * (hwAttested(photo) ? 1 : 0) +
    0.15 * (photo.gps_lat !== null && photo.gps_lon !== null ? 1 : 0) +
    0.15 * (photo.ntp_synced === true ? 1 : 0);
  return Math.round(score * 1000) / 1000;
}

/** A photo's risk is what its integrity lacks. */
export function photoRisk(photo: PhotoRow): number {
  return Math.round((1 - photoIntegrity(photo)) * 1000) / 1000;
}

/** < 0.3 low (pass), < 0.6 review, < 0.8 high (siu), else very_high (siu). */
export function riskBand(score: number): { band: RiskBand; routedTo: 'pass' | 'review' | 'siu' } {
  if (score < 0.3) return { band: 'low', routedTo: 'pass' };
  if (score < 0.6) return { band: 'review', routedTo: 'review' };
  if (score < 0.8) return { band: 'high', routedTo: 'siu' };
  return { band: 'very_high', routedTo: 'siu' };
}

/** Great-circle distance in metres (haversine). */
export function distanceMetres(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.min(1, Math.sqrt(h)));
}
