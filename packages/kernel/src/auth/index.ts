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
export {
  ApiKeyAuthenticator,
  type ApiKeyAuthenticatorOptions,
  type ApiKeyStore,
  type StoredApiKey,
} from './api-key-authenticator.js';
export { bearerToken, firstHeaderValue } from './bearer-token.js';
export {
  type PasswordCheck,
  type PasswordCheckResult,
  type PasswordGuardSlot,
  PasswordLogin,
  type PasswordLoginOptions,
} from './password-login.js';
export { createPrincipalAccessor, type PrincipalAccessor } from './principal-accessor.js';
export {
  type ActiveSigningKey,
  type SigningKeyRotation,
  SigningKeyStore,
  type SigningKeyStoreOptions,
} from './signing-key-store.js';
export { type ApiKeyTable, updateSingleActiveKey } from './api-key-admin.js';
