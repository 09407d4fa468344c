import { moireAnalysis } from '@trustplane/vision';
import { verifyWebhookSignature, webhookSignatureHeader } from '@trustplane/kernel';
import { errors } from '../errors.js';
import { type ChallengeType, checkLandmarks, type LandmarksSummary } from './landmarks.js';
import { analyzePulse } from './rppg.js';

export const VALIDATOR_SIGNATURE_HEADER = 'x-kyc-validator-signature';
export const VALIDATOR_PATH = '/internal/liveness/validate';

export interface LivenessProbe {
  requestId: string;
  challengeType: ChallengeType;
  greenChannelMean: number[];
  landmarksSummary: LandmarksSummary;
  texturePatchB64?: string | null;
}

export interface ValidatorResult {
  passed: boolean;
  confidenceScore: number;
  failureCodes: string[];
  signals: Record<string, unknown>;
}

const MAX_TEXTURE_BYTES = 2 * 1024 * 1024;

/** The liveness decision itself: pulse (rPPG), head-pose plausibility and screen moiré on the texture patch. */
export async function validateProbe(probe: LivenessProbe, sampleRateHz: number): Promise<ValidatorResult> {
  const failureCodes: string[] = [];
  const pulse = analyzePulse(probe.greenChannelMean, sampleRateHz);
  if (!pulse.pulse) failureCodes.push('NO_PULSE_SIGNAL');
  const landmarkFailures = checkLandmarks(probe.landmarksSummary, probe.challengeType);
  failureCodes.push(...landmarkFailures);
  let textureScore: number | null = null;
  if (probe.texturePatchB64) {
    const bytes = Buffer.from(probe.texturePatchB64, 'base64');
    if (bytes.length === 0 || bytes.length > MAX_TEXTURE_BYTES) failureCodes.push('TEXTURE_PATCH_INVALID');
    else {
      try {
        textureScore = (await moireAnalysis(bytes)).score;
        if (textureScore >= 0.5) failureCodes.push('SCREEN_REPLAY_SUSPECTED');
      } catch {
        failureCodes.push('TEXTURE_PATCH_INVALID');
      }
    }
  }
  // Confidence: pulse SNR mapped to 0–1 (0 dB → 0.5, +10 dB → ~0.9), scaled down per failed check.
  const snr = Number.isFinite(pulse.snrDb) ? pulse.snrDb : -30;
  const pulseConfidence = 1 / (1 + Math.exp(-snr / 4.5));
  const penalty = 0.5 ** landmarkFailures.length * (textureScore === null ? 1 : 1 - textureScore * 0.8);
  const confidenceScore = Math.round(pulseConfidence * penalty * 1000) / 1000;
  return {
    passed: failureCodes.length === 0,
    confidenceScore,
    failureCodes,
    signals: {
      challengeType: probe.challengeType,
      samples: probe.greenChannelMean.length,
      sampleRateHz,
      pulseSnrDb: Number.isFinite(pulse.snrDb) ? pulse.snrDb : null,
      pulsePeakHz: pulse.peakHz,
      pulseBpm: pulse.bpm,
      pulseAmplitude: pulse.amplitude,
      pulsePeakAmplitude: pulse.pulseAmplitude,
      yawRange: probe.landmarksSummary.yawMax - probe.landmarksSummary.yawMin,
      pitchRange: probe.landmarksSummary.pitchMax - probe.landmarksSummary.pitchMin,
      faceMotionVariance: probe.landmarksSummary.faceMotionVariance,
      depthVarianceProxy: probe.landmarksSummary.depthVarianceProxy,
      textureMoireScore: textureScore,
    },
  };
}

/** The validator endpoint's half: refuses any request whose HMAC does not hold (or is older than 5 min). */
export async function handleSignedValidation(
  secret: string,
  rawBody: string,
  signature: string | undefined,
  sampleRateHz: number,
): Promise<ValidatorResult | undefined> {
  if (!verifyWebhookSignature(secret, rawBody, signature, { toleranceSeconds: 300 })) return undefined;
  return validateProbe(JSON.parse(rawBody) as LivenessProbe, sampleRateHz);
}

export interface LivenessValidatorClient {
  validate(probe: LivenessProbe): Promise<ValidatorResult>;
}

/**
 * Reaches the validator with an HMAC-signed request: over HTTP when `url` is set, otherwise
 * in-process through the same signed-request handler. Unreachable → 503 LIVENESS_SERVICE_UNAVAILABLE.
 */
export function createLivenessValidatorClient(options: {
  secret: string;
  url: string | undefined;
  timeoutMs: number;
  sampleRateHz: number;
}): LivenessValidatorClient {
  return {
    async validate(probe) {
      const body = JSON.stringify(probe);
      const signature = webhookSignatureHeader(options.secret, body, Math.floor(Date.now() / 1000));
      if (!options.url) {
        const result = await handleSignedValidation(options.secret, body, signature, options.sampleRateHz);
        if (!result) throw errors.LIVENESS_SERVICE_UNAVAILABLE();
        return result;
      }
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [VALIDATOR_SIGNATURE_HEADER]: signature },
          body,
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch {
        throw errors.LIVENESS_SERVICE_UNAVAILABLE();
      }
      if (!response.ok) throw errors.LIVENESS_SERVICE_UNAVAILABLE();
      const result = (await response.json().catch(() => undefined)) as ValidatorResult | undefined;
      if (!result || typeof result.passed !== 'boolean' || !Array.isArray(result.failureCodes)) {
        throw errors.LIVENESS_SERVICE_UNAVAILABLE();
      }
      return result;
    },
  };
}
