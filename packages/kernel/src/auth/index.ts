export {
  assertJwksUrl,
  type IssuerKeySource,
  IssuerKeysUnavailableError,
  IssuerTokenVerifier,
  type IssuerTokenVerifierOptions,
  isLoopbackHost,
  type VerifiedIssuerToken,
} from './issuer-token-verifier.js';
export {
  REDIS_REVOCATION_CHANNEL,
  REVOCATION_CHANNEL,
  type Revocation,
  type RevocationCheck,
  type RevocationKind,
  RevocationList,
  type RevocationListOptions,
} from './revocation-list.js';
