import { z } from 'zod';

/**
 * The closed catalogue of events backlex sends out (issues 16 and 17): every event a webhook,
 * an integration or a notification can carry is named here with the shape of its `data`. A
 * subscription pattern is an exact name, `<namespace>.*` or `*`; anything else is refused (422).
 * Publishing checks `data` against its schema, so a caller cannot send a shape receivers do not
 * expect.
 */

const text = z.string().min(1);
const role = z.enum(['owner', 'admin', 'developer', 'viewer']);
const actor = { actorId: z.string().nullable().optional() };
const project = { projectId: text, projectSlug: text, ...actor };

export const EVENT_CATALOGUE = {
  // Organization
  'org.created': z.object({ orgId: text, slug: text, name: text, ...actor }),
  'org.updated': z.object({ slug: text, changed: z.array(text), ...actor }),
  'org.deleted': z.object({ org: z.object({ id: text, slug: text, name: text }), deletedAt: text }),
  'org.exported': z.object({
    exportId: text,
    projects: z.array(z.object({ projectId: text, projectSlug: text, sizeBytes: z.number() })),
    ...actor,
  }),
  // Members and invitations
  'member.invited': z.object({ invitationId: text, email: text, role, ...actor }),
  'member.invitation_cancelled': z.object({ invitationId: text, email: text, ...actor }),
  'member.joined': z.object({ memberId: text, userId: text, email: text, name: z.string().optional(), role }),
  'member.role_changed': z.object({ memberId: text, userId: text, from: role, to: role, ...actor }),
  'member.removed': z.object({
    memberId: text,
    userId: text,
    role,
    reason: z.enum(['removed', 'scim']).optional(),
  }),
  'member.left': z.object({ memberId: text, userId: text, role }),
  // Access
  'api_key.created': z.object({ keyId: text, name: text, prefix: text, scope: text, ...actor }),
  'api_key.revoked': z.object({ keyId: text, name: text, prefix: text, ...actor }),
  'sso.configured': z.object({ type: z.enum(['oidc', 'saml']), enabled: z.boolean(), ...actor }),
  'sso.disabled': z.object({ ...actor }),
  'scim.token_created': z.object({ ...actor }),
  'scim.token_revoked': z.object({ ...actor }),
  // Webhooks: sent only to the one webhook being tested.
  'webhook.test': z.object({ webhookId: text, message: text }),
  // Projects (issue 17)
  'project.created': z.object({ ...project, name: text, region: text }),
  'project.provisioned': z.object(project),
  'project.provision_failed': z.object({ ...project, error: text }),
  'project.updated': z.object({ ...project, changed: z.array(text) }),
  'project.paused': z.object(project),
  'project.resumed': z.object(project),
  'project.deleted': z.object(project),
  'project.upgraded': z.object({ ...project, from: z.number().int(), to: z.number().int() }),
  'project.admin_token_rotated': z.object(project),
  'project.restored': z.object({ ...project, restoredTo: text, backupId: text.optional() }),
  // Backups, branches, domains (issue 17)
  'backup.created': z.object({
    ...project,
    backupId: text,
    kind: z.enum(['manual', 'auto']),
    sizeBytes: z.number(),
  }),
  'backup.failed': z.object({ ...project, backupId: text, error: text }),
  'branch.created': z.object({ ...project, branchId: text, name: text }),
  'branch.deleted': z.object({ ...project, branchId: text, name: text }),
  'domain.added': z.object({ ...project, domainId: text, hostname: text }),
  'domain.verified': z.object({ ...project, domainId: text, hostname: text }),
  'domain.removed': z.object({ ...project, domainId: text, hostname: text }),
  // Usage and billing (issue 17)
  'alarm.fired': z.object({
    alarmId: text,
    projectId: text,
    projectSlug: text,
    metric: text,
    thresholdPercent: z.number(),
    usedPercent: z.number(),
    period: text,
  }),
  'billing.plan_changed': z.object({ from: text, to: text, interval: text.optional() }),
  'billing.payment_failed': z.object({
    invoiceId: text,
    amountCents: z.number().int(),
    attempt: z.number().int(),
  }),
  'billing.subscription_cancelled': z.object({ planId: text, endsAt: text }),
  'billing.invoice_paid': z.object({ invoiceId: text, amountCents: z.number().int() }),
} as const;

export type EventType = keyof typeof EVENT_CATALOGUE;
export type EventData<T extends EventType> = z.input<(typeof EVENT_CATALOGUE)[T]>;

export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];
const EVENT_TYPE_SET = new Set<string>(EVENT_TYPES);
/** `member`, `project`, …: the part of a name before its dot. */
export const EVENT_NAMESPACES = [...new Set(EVENT_TYPES.map((type) => type.slice(0, type.indexOf('.'))))];
const NAMESPACE_SET = new Set(EVENT_NAMESPACES);

/** Events a subscription never receives from the fan-out (sent only by their own route). */
const DIRECT_ONLY = new Set<EventType>(['webhook.test']);

export function isEventType(name: string): name is EventType {
  return EVENT_TYPE_SET.has(name);
}

/** Whether `pattern` is one of the accepted forms: `*`, `<namespace>.*`, or a catalogue name. */
export function isValidPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return NAMESPACE_SET.has(pattern.slice(0, -2));
  return EVENT_TYPE_SET.has(pattern);
}

/** The patterns of `patterns` that are not accepted, for a 422's details. */
export function invalidPatterns(patterns: readonly string[]): string[] {
  return patterns.filter((pattern) => !isValidPattern(pattern));
}

export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** Whether a subscription to `patterns` (null or empty = all) receives `type` from the fan-out. */
export function subscribed(patterns: readonly string[] | null, type: string): boolean {
  if (DIRECT_ONLY.has(type as EventType)) return false;
  if (!patterns || patterns.length === 0) return true;
  return patterns.some((pattern) => patternMatches(pattern, type));
}

/** Checks `data` against the event's schema: a wrong shape is a bug of the caller, thrown. */
export function checkEventData<T extends EventType>(type: T, data: EventData<T>): Record<string, unknown> {
  return EVENT_CATALOGUE[type].parse(data) as Record<string, unknown>;
}

/** Who is notified in the app (for people, not machines), and what they read. */
export interface NotificationRule {
  /** Members of these roles receive it. */
  roles: readonly ('owner' | 'admin' | 'developer' | 'viewer')[];
  /** A user never gets a notification about their own action (the member who joined). */
  exceptUserId?(data: Record<string, unknown>): string | undefined;
  title(data: Record<string, unknown>): string;
  body(data: Record<string, unknown>): string;
}

/**
 * Events meant for people. Roles are ordered (owner > admin), so "admins" includes owners: an
 * owner can do everything an admin can and would expect to hear what admins hear.
 */
export const NOTIFICATION_RULES: Partial<Record<EventType, NotificationRule>> = {
  'member.joined': {
    roles: ['owner', 'admin'],
    exceptUserId: (data) => data.userId as string,
    title: (data) => `${String(data.email)} joined the organization`,
    body: (data) => `${String(data.email)} joined as ${String(data.role)}.`,
  },
  'alarm.fired': {
    roles: ['owner', 'admin'],
    title: (data) => `Usage alarm on ${String(data.projectSlug)}`,
    body: (data) =>
      `${String(data.projectSlug)} has used ${String(data.usedPercent)}% of its ${String(data.metric)} allowance for ${String(data.period)} (alarm at ${String(data.thresholdPercent)}%).`,
  },
};

/** A one-line human summary of an event, for chat and Datadog integrations. */
export function describeEvent(type: string, data: Record<string, unknown>): string {
  const rule = NOTIFICATION_RULES[type as EventType];
  if (rule) return rule.body(data);
  const subject =
    (data.projectSlug as string | undefined) ??
    (data.email as string | undefined) ??
    (data.slug as string | undefined) ??
    (data.name as string | undefined);
  return subject ? `${type}: ${subject}` : type;
}
