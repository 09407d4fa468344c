import { z } from 'zod';
import type { IntegrationKind } from '../db/events-tables.js';
import { describeEvent } from '../events/catalogue.js';

/** Datadog sites (https://docs.datadoghq.com/getting_started/site/): the Events API is `api.<site>`. */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'ddog-gov.com',
] as const;

const SLACK_HOSTS = new Set(['hooks.slack.com']);
const DISCORD_HOSTS = new Set(['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com']);

function webhookUrlOf(hosts: Set<string>, pathPrefix: string, product: string) {
  return z
    .string()
    .max(2048)
    .refine(
      (value) => {
        try {
          const url = new URL(value);
          return (
            url.protocol === 'https:' &&
            hosts.has(url.hostname) &&
            url.pathname.startsWith(pathPrefix) &&
            !url.port
          );
        } catch {
          return false;
        }
      },
      { message: `must be a ${product} incoming webhook URL (https://${[...hosts][0]}${pathPrefix}…)` },
    );
}

/**
 * Each kind's `config`: what it needs, which fields are secrets (sealed at rest, masked on read),
 * and unknown fields refused.
 */
export const INTEGRATION_CONFIGS = {
  slack: {
    schema: z.strictObject({ webhookUrl: webhookUrlOf(SLACK_HOSTS, '/services/', 'Slack') }),
    secrets: ['webhookUrl'],
  },
  discord: {
    schema: z.strictObject({ webhookUrl: webhookUrlOf(DISCORD_HOSTS, '/api/webhooks/', 'Discord') }),
    secrets: ['webhookUrl'],
  },
  datadog: {
    schema: z.strictObject({
      apiKey: z.string().regex(/^[0-9a-f]{32}$/i, 'must be a Datadog API key (32 hexadecimal characters)'),
      site: z.enum(DATADOG_SITES).default('datadoghq.com'),
    }),
    secrets: ['apiKey'],
  },
  github: {
    schema: z.strictObject({
      token: z
        .string()
        .min(20, 'must be a GitHub token')
        .max(255)
        .regex(/^[A-Za-z0-9_]+$/, 'must be a GitHub token'),
      repository: z
        .string()
        .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, 'must be owner/name'),
    }),
    secrets: ['token'],
  },
} as const satisfies Record<IntegrationKind, { schema: z.ZodType; secrets: readonly string[] }>;

export interface EventEnvelope {
  id: string;
  type: string;
  orgId: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/** One request in the destination's own wire format. */
export interface IntegrationRequest {
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const ALERT_TYPES: Record<string, 'error' | 'warning' | 'info' | 'success'> = {
  'alarm.fired': 'warning',
  'project.provision_failed': 'error',
  'backup.failed': 'error',
  'billing.payment_failed': 'error',
  'project.provisioned': 'success',
};

/**
 * The request that carries `event` to an integration: Slack and Discord incoming webhooks, the
 * Datadog Events API (v1, `DD-API-KEY`) and GitHub's `repository_dispatch`.
 */
export function integrationRequest(
  kind: IntegrationKind,
  config: Record<string, string>,
  event: EventEnvelope,
): IntegrationRequest {
  const summary = describeEvent(event.type, event.data);
  switch (kind) {
    case 'slack':
      return {
        url: config.webhookUrl as string,
        headers: {},
        body: {
          text: `[backlex] ${event.type}: ${summary}`,
          blocks: [
            { type: 'section', text: { type: 'mrkdwn', text: `*${event.type}*\n${summary}` } },
            {
              type: 'context',
              elements: [{ type: 'mrkdwn', text: `event ${event.id} · ${event.createdAt}` }],
            },
          ],
        },
      };
    case 'discord':
      return {
        url: config.webhookUrl as string,
        headers: {},
        body: {
          username: 'backlex',
          embeds: [
            {
              title: event.type,
              description: summary,
              timestamp: event.createdAt,
              footer: { text: `event ${event.id}` },
            },
          ],
        },
      };
    case 'datadog': {
      const tags = ['source:backlex', `event:${event.type}`, `org:${event.orgId}`];
      if (typeof event.data.projectSlug === 'string') tags.push(`project:${event.data.projectSlug}`);
      return {
        url: `https://api.${config.site}/api/v1/events`,
        headers: { 'DD-API-KEY': config.apiKey as string },
        body: {
          title: `backlex: ${event.type}`,
          text: summary,
          tags,
          alert_type: ALERT_TYPES[event.type] ?? 'info',
          source_type_name: 'backlex',
          aggregation_key: event.id,
          date_happened: Math.floor(Date.parse(event.createdAt) / 1000),
        },
      };
    }
    case 'github':
      return {
        url: `https://api.github.com/repos/${config.repository}/dispatches`,
        headers: {
          Authorization: `Bearer ${config.token}`,
          Accept: 'application/vnd.github+json',
          'X-GitHub-Api-Version': '2022-11-28',
        },
        // GitHub allows at most 10 top-level client_payload properties: these are 5.
        body: {
          event_type: event.type,
          client_payload: {
            id: event.id,
            type: event.type,
            orgId: event.orgId,
            createdAt: event.createdAt,
            data: event.data,
          },
        },
      };
  }
}

/**
 * The test-only redirection `BACKLEX_INTEGRATIONS_ORIGIN`: every integration request goes to this
 * origin instead of Slack's, Discord's, Datadog's or GitHub's, path and query kept.
 */
export function redirectToOrigin(url: string, origin: string | undefined): string {
  if (!origin) return url;
  const original = new URL(url);
  return new URL(`${original.pathname}${original.search}`, origin).toString();
}

/** `••••` and the last four characters; a URL keeps its origin. */
export function maskSecret(value: string): string {
  const tail = value.slice(-4);
  try {
    const url = new URL(value);
    return `${url.origin}/••••${tail}`;
  } catch {
    return `••••${tail}`;
  }
}
