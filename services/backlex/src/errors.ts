import { defineErrorCatalogue, kernelError } from '@trustplane/kernel';

/**
 * The backlex error catalogue (README, "Errors"; test/errors.test.ts keeps the catalogue, the
 * README and the seed in agreement). Issue 16: bad JSON, a wrong content type and an oversize
 * body are 400 `BAD_REQUEST` (the seed has no 413/415); schema failures are 422 `VALIDATION`.
 * Each helper adds its codes at the end of its own block.
 */
export const errors = defineErrorCatalogue({
  VALIDATION: { status: 422, message: 'Request validation failed', answers: 'validation' },
  BAD_REQUEST: {
    status: 400,
    message: 'Bad request',
    answers: ['malformed_json', 'client', 'body_too_large', 'unsupported_media_type'],
  },
  BAD_URL: kernelError('bad_url'),
  NOT_FOUND: kernelError('not_found', { message: 'Not found' }),
  REQUEST_TIMEOUT: kernelError('request_timeout'),
  URI_TOO_LONG: kernelError('uri_too_long'),
  HEADERS_TOO_LARGE: kernelError('headers_too_large'),
  INTERNAL: kernelError('internal'),
  SERVICE_UNAVAILABLE: kernelError('database_unavailable'),
  // ── identity (issue 16, h16-identity)
  UNAUTHORIZED: { status: 401, message: 'Sign-in required' },
  FORBIDDEN: { status: 403, message: 'Insufficient role / forbidden' },
  RATE_LIMITED: {
    status: 429,
    describe: (retryAfterSeconds: number, what = 'Too many requests') => ({
      message: `${what}; retry in ${retryAfterSeconds} s`,
      details: { details: { retryAfterSeconds } },
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  },
  LAST_OWNER: { status: 409, message: 'An organization keeps at least one owner' },
  ALREADY_MEMBER: { status: 409, message: 'This address already belongs to a member' },
  ALREADY_INVITED: { status: 409, message: 'This address already has a pending invitation' },
  NOT_PENDING: { status: 409, message: 'Only a pending invitation can be resent' },
  INVITATION_EXPIRED: { status: 409, message: 'The invitation has expired' },
  INVITATION_USED: { status: 409, message: 'The invitation has already been used' },
  IP_NOT_ALLOWLISTED: { status: 409, message: 'The allowlist would exclude your own address' },
  // ── events (issue 16, h16-events)
  WEBHOOK_MANAGED: {
    status: 409,
    message:
      "This webhook is the organization's webhookUrl; remove it with PATCH /org/{slug} and webhookUrl: null",
  },
  // ── api keys, sso, scim (issue 16, h16-sso)
  // ── billing (issue 17, h17-billing)
  ALREADY_SUBSCRIBED: { status: 409, message: 'The organization already has this plan and interval' },
  NO_SUBSCRIPTION: { status: 409, message: 'The organization has no active paid subscription' },
  SUBSCRIPTION_ENDED: {
    status: 409,
    message: 'The subscription has ended; start a new checkout to subscribe again',
  },
  INVALID_WEBHOOK: { status: 400, message: 'Webhook signature missing or invalid' },
  PAYMENT_PROVIDER_UNAVAILABLE: { status: 503, message: 'The payment provider did not answer; try again' },
  // ── projects (issue 17, h17-projects)
  PLAN_LIMIT: {
    status: 403,
    describe: (resource: 'projects' | 'branches', limit: number, planId: string) => ({
      message: `Your plan (${planId}) allows ${limit} ${resource === 'projects' ? 'projects' : 'branches per project'}`,
      details: { details: { resource, limit, planId } },
    }),
  },
  INVALID_PROJECT_STATE: {
    status: 409,
    describe: (status: string, allowed: readonly string[], action: string) => ({
      message: `The project is ${status}; ${action} needs it ${allowed.join(' or ')}`,
      details: { details: { status, allowed } },
    }),
  },
  BRANCH_NAME_TAKEN: { status: 409, message: 'The project already has a branch with this name' },
  PR_NUMBER_TAKEN: { status: 409, message: 'Another live branch of the project has this prNumber' },
  PROJECT_PAUSED: { status: 503, message: 'The project is paused; resume it to use its data API' },
  PROJECT_NOT_READY: {
    status: 409,
    describe: (status: string) => ({
      message: `The project is ${status}; its data API answers once it is active`,
      details: { details: { status } },
    }),
  },
  STATEMENT_FORBIDDEN: { status: 400, message: 'This statement is not allowed through the data API' },
  STATEMENT_TIMEOUT: { status: 400, message: 'The statement ran past its time limit and was stopped' },
  RESULT_TOO_LARGE: { status: 400, message: 'The result is over 10,000 rows or 8 MB; narrow the query' },
  SQL_ERROR: { status: 400, message: 'SQLite refused the statement' },
  DATABASE_RESTARTED: {
    status: 503,
    message: 'The database host restarted while running this request; retry it',
  },
  // ── domains, export (issue 17, h17-domains)
  DOMAIN_EXISTS: { status: 409, message: 'The project already has this domain' },
  DOMAIN_TAKEN: { status: 409, message: 'Another project has verified this domain' },
  // ── backups, restores, point-in-time history (issue 17, h17-backups)
  HISTORY_UNAVAILABLE: {
    status: 503,
    message:
      "The change could not be recorded in the project's point-in-time history, so it is not acknowledged; retry it",
  },
  BACKUP_NOT_READY: {
    status: 409,
    describe: (status: string) => ({
      message: `The backup is ${status}; only a completed backup can be restored`,
      details: { details: { status } },
    }),
  },
  BACKUP_CORRUPT: {
    status: 409,
    message: 'The stored backup no longer matches its sha256; nothing was restored',
  },
  // ── usage, alarms, enforcement (issue 17, h17-usage)
  ALARM_EXISTS: { status: 409, message: 'The project already has an alarm on this metric at this threshold' },
  STORAGE_READ_ONLY: {
    status: 403,
    message:
      'The organization is over its d1 storage allowance: the data API is read-only until it is back under (delete branches or projects, buy a d1 pack or upgrade)',
  },
});
