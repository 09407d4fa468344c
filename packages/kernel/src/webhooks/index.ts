export {
  formatSignature,
  SIGNATURE_FORMATS,
  type SignatureFormat,
  signWebhook,
  type VerifyOptions,
  verifyWebhookSignature,
  webhookSignatureHeader,
} from './signing.js';
export {
  assertPublicDestination,
  type DestinationOptions,
  type HostLookup,
  isBlockedAddress,
  pinnedLookup,
  pinnedRequestOptions,
  UnsafeDestinationError,
  urlHost,
  type VettedAddress,
  type VettedDestination,
} from './ssrf-guard.js';
export {
  DEFAULT_SIGNATURE_HEADER,
  DEFAULT_WEBHOOK_QUEUE,
  DELIVERY_HEADER,
  EVENT_HEADER,
  InvalidWebhookError,
  TIMESTAMP_HEADER,
  type WebhookAttempt,
  WebhookAttemptError,
  type WebhookDelivery,
  type WebhookDeliveryDetail,
  type WebhookDeliveryRequest,
  WebhookDispatcher,
  type WebhookDispatcherOptions,
  type WebhookStatus,
} from './webhook-dispatcher.js';
export {
  parseRetryAfter,
  postWebhook,
  type WebhookRequest,
  type WebhookResponse,
} from './webhook-request.js';
