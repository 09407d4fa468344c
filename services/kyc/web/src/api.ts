// The end-user API of one verification session, authenticated by the session token (never cookies).

export type CapturePhase = 'document_type' | 'front' | 'back' | 'single' | 'poa' | 'complete';

export type Side = Exclude<CapturePhase, 'document_type' | 'complete'>;

export interface Asset {
  id: string;
  side: Side;
  analysisStatus: string;
  attempt: number;
  unreadableReasons: string[];
  retakeAllowed: boolean;
}

export interface Session {
  id: string;
  capturePhase: CapturePhase;
  documentType: 'passport' | 'id_card' | 'drive_eta' | null;
  reviewStatus: string;
  automatedBlockReason: string | null;
  assets: Asset[];
}

/** What the page needs beyond the session: branding, the way back, consent and "finished". */
export interface HostedContext {
  organization: { displayName: string; logoUrl: string | null };
  returnUrl: string | null;
  expired: boolean;
  consented: boolean;
  submitted: boolean;
}

export interface LivenessResult {
  passed: boolean;
  confidenceScore: number;
  failureCodes: string[];
  /** pending: the server is still analysing the recording; review: a person decides. */
  status?: 'passed' | 'failed' | 'pending' | 'review';
}

export type ChallengeAction = 'turn_left' | 'turn_right' | 'blink';

/** The challenge init hands out: actions with their windows, ms from the recording's start. */
export interface LivenessChallenge {
  steps: { action: ChallengeAction; windowStartMs: number; windowEndMs: number }[];
  recordingMs: number;
}

/** The uploaded recording, as complete links it. */
export interface LivenessVideo {
  videoS3Key: string;
  videoByteSize: number;
  videoSha256: string;
}

export interface LivenessProbe extends Partial<LivenessVideo> {
  requestId: string;
  challengeType: 'head_turn' | 'blink';
  greenChannelMean: number[];
  landmarksSummary: {
    yawMin: number;
    yawMax: number;
    pitchMin: number;
    pitchMax: number;
    faceMotionVariance: number;
    depthVarianceProxy: number;
  };
}

/** A refusal: the seed's code (`error`) and field errors. Their texts are never shown to the user. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors: Record<string, string> = {},
  ) {
    super(message);
  }
}

export class SessionApi {
  private readonly base: string;

  constructor(
    readonly sessionId: string,
    private readonly token: string,
  ) {
    this.base = `/api/verification/sessions/${encodeURIComponent(sessionId)}`;
  }

  private async call<T>(
    method: string,
    path: string,
    body?: Record<string, unknown>,
    base = this.base,
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          'x-verification-token': this.token,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify({ token: this.token, ...body }) : undefined,
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'We could not reach the verification service. Check your connection.');
    }
    const json = (await response.json().catch(() => ({}))) as {
      message?: string;
      error?: string;
      fieldErrors?: Record<string, string>;
    };
    if (!response.ok) {
      throw new ApiError(
        response.status,
        json.error ?? 'HTTP_ERROR',
        json.message ?? `Request failed (${response.status})`,
        json.fieldErrors,
      );
    }
    return json as T;
  }

  private get pageBase() {
    return `/verify/${encodeURIComponent(this.sessionId)}`;
  }

  /** Branding, return URL, consent and "finished": answered for an expired session too. */
  async context(): Promise<HostedContext> {
    return this.call<HostedContext>('GET', '/context', undefined, this.pageBase);
  }

  async consent(): Promise<void> {
    await this.call('POST', '/consent', undefined, this.pageBase);
  }

  async submit(): Promise<void> {
    await this.call('POST', '/submit', undefined, this.pageBase);
  }

  async session(): Promise<Session> {
    return (await this.call<{ session: Session }>('GET', '')).session;
  }

  async chooseDocumentType(documentType: string): Promise<Session> {
    return (await this.call<{ session: Session }>('PATCH', '', { documentType })).session;
  }

  /** presign → PUT the bytes to the presigned URL → upload-complete (size + sha-256 checked server-side). */
  async upload(side: string, blob: Blob, onStage: (stage: 'uploading' | 'analysing') => void) {
    onStage('uploading');
    const contentType = blob.type || 'image/jpeg';
    const bytes = await blob.arrayBuffer();
    const presign = await this.call<{
      uploadUrl: string;
      s3Key: string;
      uploadHeaders?: Record<string, string>;
    }>('POST', '/presign', {
      side,
      contentType,
      byteSize: bytes.byteLength,
    });
    await put(presign, contentType, bytes);
    onStage('analysing');
    const done = await this.call<{ session: Session }>('POST', '/upload-complete', {
      side,
      s3Key: presign.s3Key,
      contentType,
      byteSize: bytes.byteLength,
      sha256: await sha256Hex(bytes),
    });
    return done.session;
  }

  async livenessInit(): Promise<{ requestId: string; challenge: LivenessChallenge }> {
    return this.call<{ requestId: string; challenge: LivenessChallenge }>('POST', '/liveness/init');
  }

  /** presign-video → PUT the recording; complete links it with its size and sha-256. */
  async uploadLivenessVideo(requestId: string, blob: Blob): Promise<LivenessVideo> {
    const contentType = blob.type || 'video/webm';
    const bytes = await blob.arrayBuffer();
    const presign = await this.call<{
      uploadUrl: string;
      s3Key: string;
      uploadHeaders?: Record<string, string>;
    }>('POST', '/liveness/presign-video', { requestId, contentType, byteSize: bytes.byteLength });
    await put(presign, contentType, bytes);
    return {
      videoS3Key: presign.s3Key,
      videoByteSize: bytes.byteLength,
      videoSha256: await sha256Hex(bytes),
    };
  }

  async livenessComplete(probe: LivenessProbe): Promise<LivenessResult> {
    return this.call<LivenessResult>('POST', '/liveness/complete', { ...probe });
  }
}

/** PUTs bytes to a presigned URL with its signed headers (If-None-Match on S3); the browser sets Content-Length. */
async function put(
  presign: { uploadUrl: string; uploadHeaders?: Record<string, string> },
  contentType: string,
  bytes: ArrayBuffer,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': contentType };
  for (const [name, value] of Object.entries(presign.uploadHeaders ?? {})) {
    if (name.toLowerCase() !== 'content-length') headers[name.toLowerCase()] = value;
  }
  const response = await fetch(presign.uploadUrl, { method: 'PUT', headers, body: bytes }).catch(() => null);
  if (!response?.ok)
    throw new ApiError(response?.status ?? 0, 'UPLOAD_FAILED', 'The upload failed, please try again.');
}

async function sha256Hex(buffer: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
