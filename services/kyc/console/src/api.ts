// The console's only way to the server: the seed's auth and dashboard APIs (plus the extensions
// documented in /openapi.json), with the `kyc_session` cookie. Errors become `ApiError`s whose
// `words` is a sentence for the operator, never the raw validation text.
import { errorInWords } from './words';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly words: string,
    readonly fieldErrors: Record<string, string> = {},
  ) {
    super(words);
  }
}

/** Listeners told when the server says the session is gone (401), so the shell can go to /login. */
const signedOut = new Set<() => void>();
export const onSignedOut = (listener: () => void) => {
  signedOut.add(listener);
  return () => signedOut.delete(listener);
};

export async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server could not be reached. Check your connection and try again.');
  }
  const payload = (await response.json().catch(() => null)) as
    | (T & { ok?: boolean; error?: string; message?: string; fieldErrors?: Record<string, string> })
    | null;
  if (response.ok && payload) return payload;
  const code = payload?.error ?? `HTTP_${response.status}`;
  if (response.status === 401 && !url.startsWith('/api/auth/')) for (const listener of signedOut) listener();
  throw new ApiError(
    response.status,
    code,
    errorInWords(code, response.status, payload?.message),
    payload?.fieldErrors,
  );
}

export interface User {
  id: string;
  email: string;
  fullName?: string | null;
}
export interface Organization {
  id: string;
  customerId: string;
  displayName: string;
  subtitle: string;
}
export interface ApiKey {
  id: string;
  keyType: 'publishable' | 'secret';
  environment: 'test' | 'live';
  keyPrefix: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface SessionSummary {
  id: string;
  externalUserId: string | null;
  documentType: string | null;
  capturePhase: string;
  reviewStatus: string;
  riskLabel: string | null;
  automatedBlockReason: string | null;
  documentHeatmapViewUrl: string | null;
  elaHeatmapViewUrl?: string | null;
  faceSimilarityScore: number | null;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
}
export interface LatestLiveness {
  id: string;
  status: string;
  confidenceScore: number | null;
  failureReason: string | null;
  riskLabel: string | null;
  signalsJson: Record<string, unknown> | null;
  updatedAt: string;
}
export interface ListItem {
  session: SessionSummary;
  latestLiveness: LatestLiveness | null;
}
export interface Asset {
  id: string;
  side: string;
  analysisStatus: string;
  s3Key: string;
  contentType: string;
  createdAt: string;
  documentViewUrl: string | null;
}
export interface AnalysisRow {
  assetId: string;
  extracted: Record<string, unknown>;
  modelId: string | null;
  createdAt: string;
  elaHeatmapViewUrl?: string | null;
  moireHeatmapViewUrl?: string | null;
}
export interface LivenessAttempt extends LatestLiveness {
  clientRequestId: string;
  videoReferenceUrl: string | null;
  livenessVideoPlaybackUrl: string | null;
  createdAt: string;
}
export interface AuditEvent {
  id: string;
  eventType: string;
  actorType: string;
  actorUserId: string | null;
  payload: Record<string, unknown> | null;
  rationale: string | null;
  modelVersions?: Record<string, unknown> | null;
  rawScores?: Record<string, unknown> | null;
  createdAt: string;
}
export interface Detail {
  session: SessionSummary;
  assets: Asset[];
  analysisResults: AnalysisRow[];
  livenessAttempts: LivenessAttempt[];
  auditEvents: AuditEvent[];
}
export interface AuditChain {
  intact: boolean;
  checked: number;
  brokenEventId: string | null;
  verifiedAt: string;
  events: { id: string; hash: string; prevHash: string; valid: boolean }[];
}
