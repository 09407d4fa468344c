/**
 * The operation catalogue: every seed operation under `/org/{slug}/…` with the name an API key's
 * `mcpTools` allowlist uses and the class that decides which key scopes reach it. The seed has no
 * operationIds, so the names are ours (README, "API keys"): `<area>.<verb>`, areas in camelCase.
 *
 * Classes:
 * - `read`: a GET any scope may call;
 * - `deploy`: a project write a `deploy` key may call (not deletes, not restores);
 * - `write`: a write only a `full` key may call;
 * - `people`: reserved to people (members, invitations, keys, SSO, SCIM, billing, notifications,
 *   org PATCH/DELETE): every key gets 403, whatever its scope.
 */
export type OperationClass = 'read' | 'deploy' | 'write' | 'people';

export interface Operation {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The seed's path, relative to `/api`. */
  readonly path: string;
  readonly class: OperationClass;
}

const P = '/org/{slug}/projects/{projectSlug}';

const operations: readonly Operation[] = [
  { name: 'org.overview', method: 'GET', path: '/org/{slug}/overview', class: 'read' },
  { name: 'org.update', method: 'PATCH', path: '/org/{slug}', class: 'people' },
  { name: 'org.delete', method: 'DELETE', path: '/org/{slug}', class: 'people' },
  { name: 'org.export', method: 'POST', path: '/org/{slug}/export', class: 'write' },
  { name: 'usage.get', method: 'GET', path: '/org/{slug}/usage', class: 'read' },
  { name: 'usage.history', method: 'GET', path: '/org/{slug}/usage/history', class: 'read' },
  { name: 'audit.list', method: 'GET', path: '/org/{slug}/audit', class: 'read' },
  { name: 'members.list', method: 'GET', path: '/org/{slug}/members', class: 'read' },
  { name: 'members.update', method: 'PATCH', path: '/org/{slug}/members/{id}', class: 'people' },
  { name: 'members.remove', method: 'DELETE', path: '/org/{slug}/members/{id}', class: 'people' },
  { name: 'members.resend', method: 'POST', path: '/org/{slug}/members/{id}/resend', class: 'people' },
  { name: 'invitations.create', method: 'POST', path: '/org/{slug}/invitations', class: 'people' },
  { name: 'scim.get', method: 'GET', path: '/org/{slug}/scim', class: 'people' },
  { name: 'scim.mintToken', method: 'POST', path: '/org/{slug}/scim/token', class: 'people' },
  { name: 'scim.revokeToken', method: 'DELETE', path: '/org/{slug}/scim/token', class: 'people' },
  { name: 'sso.get', method: 'GET', path: '/org/{slug}/sso', class: 'people' },
  { name: 'sso.put', method: 'PUT', path: '/org/{slug}/sso', class: 'people' },
  { name: 'sso.delete', method: 'DELETE', path: '/org/{slug}/sso', class: 'people' },
  { name: 'apiKeys.list', method: 'GET', path: '/org/{slug}/api-keys', class: 'read' },
  { name: 'apiKeys.create', method: 'POST', path: '/org/{slug}/api-keys', class: 'people' },
  { name: 'apiKeys.revoke', method: 'DELETE', path: '/org/{slug}/api-keys/{id}', class: 'people' },
  { name: 'billing.get', method: 'GET', path: '/org/{slug}/billing', class: 'people' },
  { name: 'billing.checkout', method: 'POST', path: '/org/{slug}/billing/checkout', class: 'people' },
  {
    name: 'billing.packsCheckout',
    method: 'POST',
    path: '/org/{slug}/billing/packs/checkout',
    class: 'people',
  },
  {
    name: 'billing.cancel',
    method: 'POST',
    path: '/org/{slug}/billing/subscription/cancel',
    class: 'people',
  },
  {
    name: 'billing.resume',
    method: 'POST',
    path: '/org/{slug}/billing/subscription/resume',
    class: 'people',
  },
  { name: 'notifications.list', method: 'GET', path: '/org/{slug}/notifications', class: 'people' },
  {
    name: 'notifications.read',
    method: 'POST',
    path: '/org/{slug}/notifications/{id}/read',
    class: 'people',
  },
  {
    name: 'notifications.readAll',
    method: 'POST',
    path: '/org/{slug}/notifications/read-all',
    class: 'people',
  },
  { name: 'integrations.list', method: 'GET', path: '/org/{slug}/integrations', class: 'read' },
  { name: 'integrations.create', method: 'POST', path: '/org/{slug}/integrations', class: 'write' },
  { name: 'integrations.delete', method: 'DELETE', path: '/org/{slug}/integrations/{id}', class: 'write' },
  { name: 'webhooks.list', method: 'GET', path: '/org/{slug}/webhooks', class: 'read' },
  { name: 'webhooks.create', method: 'POST', path: '/org/{slug}/webhooks', class: 'write' },
  { name: 'webhooks.delete', method: 'DELETE', path: '/org/{slug}/webhooks/{id}', class: 'write' },
  { name: 'webhooks.test', method: 'POST', path: '/org/{slug}/webhooks/{id}/test', class: 'write' },
  { name: 'webhookDeliveries.list', method: 'GET', path: '/org/{slug}/webhook-deliveries', class: 'read' },
  { name: 'projects.list', method: 'GET', path: '/org/{slug}/projects', class: 'read' },
  { name: 'projects.create', method: 'POST', path: '/org/{slug}/projects', class: 'deploy' },
  { name: 'projects.get', method: 'GET', path: P, class: 'read' },
  { name: 'projects.update', method: 'PATCH', path: P, class: 'deploy' },
  { name: 'projects.delete', method: 'DELETE', path: P, class: 'write' },
  { name: 'projects.pause', method: 'POST', path: `${P}/pause`, class: 'deploy' },
  { name: 'projects.resume', method: 'POST', path: `${P}/resume`, class: 'deploy' },
  { name: 'projects.provisionRetry', method: 'POST', path: `${P}/provision-retry`, class: 'deploy' },
  { name: 'projects.reprovisionAdmin', method: 'POST', path: `${P}/reprovision-admin`, class: 'deploy' },
  { name: 'projects.upgrade', method: 'POST', path: `${P}/upgrade`, class: 'deploy' },
  { name: 'backups.list', method: 'GET', path: `${P}/backups`, class: 'read' },
  { name: 'backups.create', method: 'POST', path: `${P}/backups`, class: 'deploy' },
  { name: 'backups.restore', method: 'POST', path: `${P}/backups/{id}/restore`, class: 'write' },
  { name: 'projects.restore', method: 'POST', path: `${P}/restore`, class: 'write' },
  { name: 'domains.list', method: 'GET', path: `${P}/domains`, class: 'read' },
  { name: 'domains.create', method: 'POST', path: `${P}/domains`, class: 'deploy' },
  { name: 'domains.verify', method: 'POST', path: `${P}/domains/{id}/verify`, class: 'deploy' },
  { name: 'domains.delete', method: 'DELETE', path: `${P}/domains/{id}`, class: 'write' },
  { name: 'branches.list', method: 'GET', path: `${P}/branches`, class: 'read' },
  { name: 'branches.create', method: 'POST', path: `${P}/branches`, class: 'deploy' },
  { name: 'branches.delete', method: 'DELETE', path: `${P}/branches/{id}`, class: 'write' },
  { name: 'deploys.list', method: 'GET', path: `${P}/deploys`, class: 'read' },
  { name: 'errors.list', method: 'GET', path: `${P}/errors`, class: 'read' },
  { name: 'alarms.list', method: 'GET', path: `${P}/alarms`, class: 'read' },
  { name: 'alarms.create', method: 'POST', path: `${P}/alarms`, class: 'deploy' },
  { name: 'alarms.delete', method: 'DELETE', path: `${P}/alarms/{id}`, class: 'write' },
];

const byRoute = new Map(operations.map((operation) => [`${operation.method} ${operation.path}`, operation]));
const byName = new Map(operations.map((operation) => [operation.name, operation]));

export const operationNames: readonly string[] = operations.map((operation) => operation.name);
export const orgOperations = operations;

export function operationByName(name: string): Operation | undefined {
  return byName.get(name);
}

/**
 * The operation a Fastify route serves: `routeUrl` is `request.routeOptions.url`
 * (`/api/org/:slug/members`), turned into the seed's template (`/org/{slug}/members`).
 */
export function operationForRoute(method: string, routeUrl: string): Operation | undefined {
  const template = routeUrl.replace(/^\/api(?=\/)/, '').replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
  return byRoute.get(`${method.toUpperCase()} ${template}`);
}
