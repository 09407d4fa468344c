import { randomBytes, randomUUID } from 'node:crypto';
import {
  type CryptoKey,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  importSPKI,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A public key that verifies tokens whose header names its `kid`, until `notAfter` if set. */
export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  publicKey: CryptoKey;
  /** Public JWK with `kid`, `alg` and `use: 'sig'`, as published in a JWKS. */
  publicJwk: JWK;
  publicSpkiPem: string;
  notAfter?: Date;
}

export interface SigningKey extends VerificationKey {
  privateKey: CryptoKey;
  privatePkcs8Pem: string;
}

export type TokenErrorReason =
  | 'malformed'
  | 'unknown_key'
  | 'algorithm'
  | 'invalid_signature'
  | 'expired'
  | 'claim'
  /** Signed and unexpired, but revoked by its issuer (the token or its session). */
  | 'revoked';

/** A token that must not be trusted; `reason` says why, `claim` names the failing claim for `claim`/`expired`. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    readonly reason: TokenErrorReason,
    message: string,
    readonly claim?: string,
  ) {
    super(message);
  }
}

function assertAlgorithm(alg: string): asserts alg is SigningAlgorithm {
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TypeError(`unsupported signing algorithm ${alg}; use one of ${SIGNING_ALGORITHMS.join(', ')}`);
  }
}

function defaultKid(): string {
  return `key-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
}

async function publicJwkOf(publicKey: CryptoKey, kid: string, alg: SigningAlgorithm): Promise<JWK> {
  return { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
}

export async function generateSigningKey(
  options: { alg?: SigningAlgorithm; kid?: string } = {},
): Promise<SigningKey> {
  const alg = options.alg ?? 'RS256';
  assertAlgorithm(alg);
  const kid = options.kid ?? defaultKid();
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    publicJwk: await publicJwkOf(publicKey, kid, alg),
    privatePkcs8Pem: await exportPKCS8(privateKey),
    publicSpkiPem: await exportSPKI(publicKey),
  };
}

export async function importVerificationKey(
  spkiPem: string,
  alg: SigningAlgorithm,
  kid: string,
  notAfter?: Date,
): Promise<VerificationKey> {
  assertAlgorithm(alg);
  const publicKey = await importSPKI(spkiPem, alg, { extractable: true });
  return {
    kid,
    alg,
    publicKey,
    publicJwk: await publicJwkOf(publicKey, kid, alg),
    publicSpkiPem: await exportSPKI(publicKey),
    ...(notAfter ? { notAfter } : {}),
  };
}

/** Imports a stored key pair; refuses a private and public key that do not belong together. */
export async function importSigningKey(
  pkcs8Pem: string,
  spkiPem: string,
  alg: SigningAlgorithm,
  kid: string,
): Promise<SigningKey> {
  const verification = await importVerificationKey(spkiPem, alg, kid);
  const privateKey = await importPKCS8(pkcs8Pem, alg);
  const probe = await new SignJWT({}).setProtectedHeader({ alg, kid }).sign(privateKey);
  try {
    await jwtVerify(probe, verification.publicKey, { algorithms: [alg] });
  } catch {
    throw new TypeError(`the private and public key given for ${kid} are not a pair`);
  }
  return { ...verification, privateKey, privatePkcs8Pem: pkcs8Pem };
}

export interface JwtSignOptions {
  expiresInSeconds: number;
  issuer: string;
  audience?: string | string[];
  subject?: string;
  /** Defaults to a random UUID. */
  jti?: string;
}

export interface JwtVerifyOptions {
  issuer: string;
  audience?: string | string[];
  /** Accepted `alg` values; by default those of the keys held. Each key also only accepts its own alg. */
  algorithms?: SigningAlgorithm[];
  clockToleranceSeconds?: number;
  now?: Date;
}

export interface VerifiedToken<T extends object = Record<string, unknown>> {
  payload: JWTPayload & T;
  kid: string;
  alg: SigningAlgorithm;
}

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

/** A jose verification failure (or a TokenError) as the TokenError naming its reason. */
export function tokenErrorFrom(error: unknown): TokenError {
  if (error instanceof TokenError) return error;
  const { code, claim } = (error ?? {}) as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new TokenError('expired', 'token has expired', claim ?? 'exp');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return new TokenError(
        'claim',
        claim ? `token claim ${claim} is not acceptable` : 'token claims are not acceptable',
        claim,
      );
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenError('invalid_signature', 'token signature is invalid');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new TokenError('algorithm', 'token algorithm is not accepted');
    default:
      return new TokenError('malformed', 'token is malformed');
  }
}

/**
 * Verifies a compact JWS token against the key its `kid` header names, among `keys`. Refuses tokens
 * without a known, unretired `kid`, tokens whose `alg` is not the key's own (so `none` and HS256
 * signed with a public key as HMAC secret fail before any signature check), and tokens without `exp`.
 */
export async function verifyJwt<T extends object = Record<string, unknown>>(
  token: string,
  keys: Iterable<VerificationKey>,
  options: JwtVerifyOptions,
): Promise<VerifiedToken<T>> {
  if (typeof token !== 'string' || token.length === 0) throw new TokenError('malformed', 'token is missing');
  const now = options.now ?? new Date();
  const byKid = new Map<string, VerificationKey>();
  for (const key of keys) byKid.set(key.kid, key);
  const algorithms = options.algorithms ?? [...new Set([...byKid.values()].map((key) => key.alg))];
  let used: VerificationKey | undefined;
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = header.kid === undefined ? undefined : byKid.get(header.kid);
        if (!key || (key.notAfter && key.notAfter.getTime() <= now.getTime())) {
          throw new TokenError('unknown_key', 'token is signed with an unknown key');
        }
        if (header.alg !== key.alg) {
          throw new TokenError('algorithm', 'token algorithm does not match its key');
        }
        used = key;
        return key.publicKey;
      },
      {
        algorithms,
        issuer: options.issuer,
        ...(options.audience === undefined ? {} : { audience: options.audience }),
        clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
        requiredClaims: ['exp', 'iat'],
      },
    );
    return { payload: payload as JWTPayload & T, kid: used!.kid, alg: used!.alg };
  } catch (error) {
    throw tokenErrorFrom(error);
  }
}

export interface JwtKeyRingOptions {
  active: SigningKey;
  /** Keys that signed earlier tokens; each verifies until its `notAfter`. */
  previous?: VerificationKey[];
  /** Source of the current time, for tests and replays. */
  clock?: () => Date;
}

/**
 * One signing key plus the retired keys whose tokens may still be in circulation. Rotation makes a
 * new key sign while the old one keeps verifying until `retireAt`, which should be at least the
 * longest token lifetime from now.
 */
export class JwtKeyRing {
  #active: SigningKey;
  #previous: VerificationKey[];
  readonly #clock: () => Date;

  constructor(options: JwtKeyRingOptions) {
    this.#active = options.active;
    this.#previous = [...(options.previous ?? [])];
    this.#clock = options.clock ?? (() => new Date());
    this.#assertUniqueKids();
  }

  get active(): SigningKey {
    return this.#active;
  }

  /** The active key and every previous key not yet retired. */
  get verificationKeys(): VerificationKey[] {
    const now = this.#clock().getTime();
    return [this.#active, ...this.#previous.filter((key) => !key.notAfter || key.notAfter.getTime() > now)];
  }

  rotate(next: SigningKey, options: { retireAt: Date }): void {
    const { kid, alg, publicKey, publicJwk, publicSpkiPem } = this.#active;
    const retired: VerificationKey = {
      kid,
      alg,
      publicKey,
      publicJwk,
      publicSpkiPem,
      notAfter: options.retireAt,
    };
    this.#previous = [retired, ...this.#previous];
    this.#active = next;
    this.#assertUniqueKids();
    this.prune();
  }

  addVerificationKey(key: VerificationKey): void {
    this.#previous.push(key);
    this.#assertUniqueKids();
  }

  /** Forgets previous keys past their `notAfter`. */
  prune(): void {
    const now = this.#clock().getTime();
    this.#previous = this.#previous.filter((key) => !key.notAfter || key.notAfter.getTime() > now);
  }

  async sign(claims: Record<string, unknown>, options: JwtSignOptions): Promise<string> {
    if (!Number.isFinite(options.expiresInSeconds) || options.expiresInSeconds <= 0) {
      throw new RangeError('expiresInSeconds must be a positive number');
    }
    const issuedAt = Math.floor(this.#clock().getTime() / 1000);
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: this.#active.alg, kid: this.#active.kid, typ: 'JWT' })
      .setIssuer(options.issuer)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + Math.floor(options.expiresInSeconds))
      .setJti(options.jti ?? randomUUID());
    if (options.subject !== undefined) jwt.setSubject(options.subject);
    if (options.audience !== undefined) jwt.setAudience(options.audience);
    return jwt.sign(this.#active.privateKey);
  }

  verify<T extends object = Record<string, unknown>>(
    token: string,
    options: JwtVerifyOptions,
  ): Promise<VerifiedToken<T>> {
    return verifyJwt<T>(token, this.verificationKeys, { now: this.#clock(), ...options });
  }

  /** The public keys of the ring as a JWKS document. */
  jwks(): { keys: JWK[] } {
    return { keys: this.verificationKeys.map((key) => ({ ...key.publicJwk })) };
  }

  #assertUniqueKids(): void {
    const kids = [this.#active.kid, ...this.#previous.map((key) => key.kid)];
    if (new Set(kids).size !== kids.length) {
      throw new TypeError('every key in a JwtKeyRing needs its own kid');
    }
  }
}
