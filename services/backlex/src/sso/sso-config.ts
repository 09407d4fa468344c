import { X509Certificate } from 'node:crypto';
import { z } from 'zod';

/**
 * `SsoInput.config` per type (the seed leaves it open; README, "SSO"): unknown keys are refused so
 * a typo is a 422 rather than a silently ignored setting. `clientSecret` may be omitted when one is
 * stored: the stored secret is kept.
 */
const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((value) => !new URL(value).username && !new URL(value).password, 'must not carry credentials');

export const oidcConfigSchema = z
  .object({
    issuer: httpUrl,
    clientId: z.string().trim().min(1).max(512),
    clientSecret: z.string().min(1).max(4096).optional(),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/))
      .min(1)
      .max(20)
      .optional(),
  })
  .strict();

const pemCertificate = z
  .string()
  .max(16 * 1024)
  .refine((value) => {
    try {
      new X509Certificate(
        value.includes('-----BEGIN')
          ? value
          : `-----BEGIN CERTIFICATE-----\n${value}\n-----END CERTIFICATE-----`,
      );
      return true;
    } catch {
      return false;
    }
  }, 'must be an X.509 certificate (PEM or base64 DER)');

export const samlConfigSchema = z
  .object({
    entryPoint: httpUrl.optional(),
    cert: pemCertificate.optional(),
    /** The IdP's entity id; defaults to `entryPoint` for a manual configuration. */
    entityId: z.string().trim().min(1).max(1024).optional(),
    idpMetadataXml: z
      .string()
      .min(1)
      .max(100 * 1024)
      .optional(),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.idpMetadataXml) return;
    if (!config.entryPoint)
      context.addIssue({
        code: 'custom',
        path: ['entryPoint'],
        message: 'required with cert, unless idpMetadataXml is given',
      });
    if (!config.cert)
      context.addIssue({
        code: 'custom',
        path: ['cert'],
        message: 'required with entryPoint, unless idpMetadataXml is given',
      });
  });

export type OidcConfigInput = z.infer<typeof oidcConfigSchema>;
export type SamlConfigInput = z.infer<typeof samlConfigSchema>;

const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a domain name such as example.com',
  );

export const ssoInputSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('oidc'),
    enabled: z.boolean().optional(),
    emailDomain: domainSchema.nullable().optional(),
    config: oidcConfigSchema,
  }),
  z.object({
    type: z.literal('saml'),
    enabled: z.boolean().optional(),
    emailDomain: domainSchema.nullable().optional(),
    config: samlConfigSchema,
  }),
]);
export type SsoInput = z.infer<typeof ssoInputSchema>;

/** What a GET shows in place of a stored secret. */
export const MASKED_SECRET = '********';

/** The provider id of an org's one SSO connection (also in the TXT record name and callback URLs). */
export function providerIdFor(organizationId: string): string {
  return `sso-${organizationId}`;
}

/** The TXT record that proves control of `emailDomain` (the plugin's name and value format). */
export function verificationRecord(providerId: string, emailDomain: string, token: string) {
  const label = `_backlex-${providerId}`;
  return { type: 'TXT' as const, name: `${label}.${emailDomain}`, value: `${label}=${token}` };
}
