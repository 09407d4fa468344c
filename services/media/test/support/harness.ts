import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey, JwtKeyRing, type SigningKey } from '@trustplane/kernel';
import {
  type BootedService,
  type BootOptions,
  Contract,
  type ServiceHarness,
  serviceHarness,
} from '@trustplane/kernel/testkit';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createMediaService, type MediaSettings } from '../../src/index.js';

export const ALL_PERMISSIONS = [
  'media:upload',
  'media:download',
  'media:list',
  'media:update',
  'media:delete',
  'folder:create',
  'folder:list',
  'folder:update',
  'folder:delete',
];

export const ISSUER = 'account-service-test';

/**
 * Stands in for the account service's `GET /.well-known/jwks.json` (current and previous keys) and
 * signs access tokens the way account does (`token_use: access`, `jti`, `sid`). `rotate()` switches
 * to a new key, as account would.
 */
export class FakeAccount {
  fetches = 0;
  private constructor(
    readonly ring: JwtKeyRing,
    private readonly server: http.Server,
  ) {}

  static async start(): Promise<FakeAccount> {
    const ring = new JwtKeyRing({ active: await generateSigningKey({ alg: 'RS256' }) });
    let account: FakeAccount | undefined;
    const server = http.createServer((request, response) => {
      if (request.url !== '/.well-known/jwks.json') {
        response.writeHead(404).end();
        return;
      }
      account!.fetches++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(ring.jwks()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    account = new FakeAccount(ring, server);
    return account;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async rotate(): Promise<SigningKey> {
    const next = await generateSigningKey({ alg: 'RS256' });
    this.ring.rotate(next, { retireAt: new Date(Date.now() + 3_600_000) });
    return next;
  }

  async token(
    claims: {
      sub?: string;
      org_id?: string | null;
      permissions?: string[];
      principal_type?: string;
      token_use?: string;
      sid?: string;
    } = {},
    options: { expiresInSeconds?: number } = {},
  ): Promise<string> {
    return this.ring.sign(
      {
        org_id: claims.org_id === undefined ? randomUUID() : claims.org_id,
        permissions: claims.permissions ?? ALL_PERMISSIONS,
        principal_type: claims.principal_type ?? 'human',
        sid: claims.sid ?? randomUUID(),
        token_use: claims.token_use ?? 'access',
      },
      {
        issuer: ISSUER,
        subject: claims.sub ?? randomUUID(),
        expiresInSeconds: options.expiresInSeconds ?? 900,
      },
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A user of one organization, with a bearer token carrying the given permissions. */
export interface TestUser {
  sub: string;
  orgId: string;
  token: string;
  auth: { authorization: string };
}

export interface Harness {
  /** The kernel's harness under this one: boot, contract-checked inject, tenant factory, security suite. */
  service: ServiceHarness<TestUser>;
  booted: BootedService;
  account: FakeAccount;
  contract: Contract;
  /** Injects and checks the response against the seed's contract. */
  call(options: InjectOptions & { url: string; method: string }): Promise<LightMyRequestResponse>;
  user(options?: { orgId?: string; permissions?: string[]; sub?: string }): Promise<TestUser>;
  upload(
    user: TestUser,
    file: { name: string; type?: string; data: Buffer },
    query?: string,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function multipartBody(
  parts: { field: string; filename?: string; type?: string; data: Buffer | string }[],
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----trustplane${randomUUID().replace(/-/g, '')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let header = `--${boundary}\r\nContent-Disposition: form-data; name="${part.field}"`;
    if (part.filename !== undefined) header += `; filename="${part.filename}"`;
    header += '\r\n';
    if (part.type) header += `Content-Type: ${part.type}\r\n`;
    chunks.push(Buffer.from(`${header}\r\n`), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

export async function startHarness(
  settings: Partial<MediaSettings> = {},
  env: Record<string, string> = {},
  boot: Omit<BootOptions, 'env'> = {},
): Promise<Harness> {
  const account = await FakeAccount.start();
  const definition = createMediaService({
    accountServiceUrl: account.url,
    jwtIssuer: ISSUER,
    keyRefetchIntervalMs: 0,
    ...settings,
  });
  const contract = Contract.forService(createMediaService());
  const service = await serviceHarness<TestUser>(definition, {
    contract,
    boot: { env, ...boot },
    tenant: () => harness.user(),
  });
  const { booted } = service;
  const harness: Harness = {
    service,
    booted,
    account,
    contract,
    call: (options) => service.inject(options),
    async user(options = {}) {
      const sub = options.sub ?? randomUUID();
      const orgId = options.orgId ?? randomUUID();
      const token = await account.token({ sub, org_id: orgId, permissions: options.permissions });
      return { sub, orgId, token, auth: { authorization: `Bearer ${token}` } };
    },
    async upload(user, file, query = '') {
      const { payload, headers } = multipartBody([
        {
          field: 'file',
          filename: file.name,
          type: file.type ?? 'application/octet-stream',
          data: file.data,
        },
      ]);
      return harness.call({
        method: 'POST',
        url: `/upload${query}`,
        payload,
        headers: { ...headers, ...user.auth },
      });
    },
    async close() {
      await booted.close();
      await account.close();
    },
  };
  return harness;
}

/** Error bodies are `{ error: { code, message, request_id } }` everywhere. */
export function errorCode(response: LightMyRequestResponse): string {
  const body = response.json() as { error?: { code?: string; message?: string; request_id?: string } };
  if (!body.error?.code || !body.error.message || !body.error.request_id) {
    throw new Error(`not an error envelope: ${response.body}`);
  }
  return body.error.code;
}
