import { compactDecrypt, decodeProtectedHeader } from 'jose';
import type { AttestationKeys } from '../attestation/attestation-keys.js';

/** What a Verifact capture seals about its claim (manifest or vault). */
export interface ClaimBindingFields {
  claimNumber?: string;
  policyNumber?: string;
  surveyorName?: string;
  surveyorId?: string;
  insurerCode?: string;
  expiresAt?: string;
}

const FIELDS = [
  'claimNumber',
  'policyNumber',
  'surveyorName',
  'surveyorId',
  'insurerCode',
  'expiresAt',
] as const;

/** Keeps the known string fields of a binding object. */
export function bindingFields(value: unknown): ClaimBindingFields | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const fields: ClaimBindingFields = {};
  for (const name of FIELDS) {
    if (typeof record[name] === 'string') fields[name] = record[name] as string;
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

export type VaultOpener = (jwe: string) => Promise<ClaimBindingFields | undefined>;

/**
 * Opens an `in.co.verifact.vault` JWE (compact, RSA-OAEP-256): the header's `kid` picks the
 * attestation key; any kid ever issued still opens. Undefined when it cannot be opened.
 */
export function createVaultOpener(keys: AttestationKeys): VaultOpener {
  return async (jwe) => {
    try {
      const header = decodeProtectedHeader(jwe);
      if (header.alg !== 'RSA-OAEP-256' || typeof header.kid !== 'string') return undefined;
      const key = await keys.privateKey(header.kid);
      if (!key) return undefined;
      const { plaintext } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: ['RSA-OAEP-256'] });
      return bindingFields(JSON.parse(Buffer.from(plaintext).toString('utf8')));
    } catch {
      return undefined;
    }
  };
}
