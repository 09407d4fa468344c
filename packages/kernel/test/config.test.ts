import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import {
  ConfigError,
  loadPlatformConfig,
  resolvePorts,
  resolvePublicUrl,
} from '../src/config/platform-config.js';
import { createHttpApp } from '../src/http/create-http-app.js';

describe('platform config', () => {
  test('embedded defaults when nothing is set', () => {
    const config = loadPlatformConfig({}, '/repo');
    assert.equal(config.dataDir, path.resolve('/repo/.data'));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.amqpUrl, undefined);
    assert.equal(config.s3, undefined);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.allowPrivateWebhooks, false);
  });

  test('reads the engines at scale from their variables', () => {
    const config = loadPlatformConfig(
      {
        DATABASE_URL: 'postgresql://u:p@db:5432/trustplane',
        AMQP_URL: 'amqp://rabbit:5672',
        REDIS_URL: 'redis://cache:6379',
        SMTP_URL: 'smtp://mail:25',
        S3_ENDPOINT: 'http://minio:9000',
        S3_BUCKET: 'objects',
        S3_ACCESS_KEY_ID: 'id',
        S3_SECRET_ACCESS_KEY: 'secret',
        TRUSTPLANE_DATA_DIR: '/var/lib/trustplane',
        TRUSTPLANE_ALLOW_PRIVATE_WEBHOOKS: '1',
      },
      '/repo',
    );
    assert.equal(config.databaseUrl, 'postgresql://u:p@db:5432/trustplane');
    assert.equal(config.amqpUrl, 'amqp://rabbit:5672');
    assert.deepEqual(config.s3, {
      endpoint: 'http://minio:9000',
      bucket: 'objects',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
      region: 'us-east-1',
    });
    assert.equal(config.dataDir, '/var/lib/trustplane');
    assert.equal(config.allowPrivateWebhooks, true);
  });

  test('fails fast naming every bad variable', () => {
    assert.throws(
      () =>
        loadPlatformConfig({
          DATABASE_URL: 'mysql://db/x',
          LOG_LEVEL: 'loud',
          TRUSTPLANE_SIGNING_SECRET: 'short',
          TRUSTPLANE_BODY_LIMIT_BYTES: '-1',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.message;
        for (const variable of [
          'DATABASE_URL',
          'LOG_LEVEL',
          'TRUSTPLANE_SIGNING_SECRET',
          'TRUSTPLANE_BODY_LIMIT_BYTES',
        ]) {
          assert.match(text, new RegExp(variable), `${variable} is named`);
        }
        assert.equal(error.issues.length, 4);
        return true;
      },
    );
  });

  test('S3 needs its bucket and credentials once an endpoint is set', () => {
    assert.throws(
      () => loadPlatformConfig({ S3_ENDPOINT: 'http://minio:9000' }),
      /S3_BUCKET: is required when S3_ENDPOINT is set[\s\S]*S3_ACCESS_KEY_ID[\s\S]*S3_SECRET_ACCESS_KEY/,
    );
  });

  test('an unparseable URL is refused even with the right scheme', () => {
    assert.throws(() => loadPlatformConfig({ AMQP_URL: 'amqp://' + ' bad host' }), /AMQP_URL/);
  });

  test('ports: defaults, per-service and per-listener overrides, refusal of nonsense', () => {
    assert.deepEqual(resolvePorts('kyc', { http: 4488 }, {}), { http: 4488 });
    assert.deepEqual(resolvePorts('kyc', { http: 4488 }, { KYC_PORT: '5000' }), { http: 5000 });
    assert.deepEqual(
      resolvePorts('notification', { http: 13080, grpc: 13051 }, { NOTIFICATION_GRPC_PORT: '14000' }),
      { http: 13080, grpc: 14000 },
    );
    assert.throws(() => resolvePorts('kyc', { http: 4488 }, { KYC_PORT: 'eighty' }), /KYC_PORT/);
    assert.throws(() => resolvePorts('kyc', { http: 4488 }, { KYC_PORT: '70000' }), ConfigError);
  });

  test('public URL: the public host at the service port, or <SERVICE>_PUBLIC_URL (a balancer), refusal of nonsense', () => {
    assert.equal(resolvePublicUrl('backlex', 8787, 'localhost', {}), 'http://localhost:8787');
    assert.equal(
      resolvePublicUrl('backlex', 18787, 'localhost', { BACKLEX_PUBLIC_URL: 'https://api.example.com/' }),
      'https://api.example.com',
    );
    assert.equal(
      resolvePublicUrl('kyc', 4488, 'localhost', { KYC_PUBLIC_URL: 'http://127.0.0.1:9000/kyc/' }),
      'http://127.0.0.1:9000/kyc',
    );
    // Another service's setting is not this one's.
    assert.equal(
      resolvePublicUrl('kyc', 4488, 'h', { BACKLEX_PUBLIC_URL: 'https://x.example' }),
      'http://h:4488',
    );
    for (const bad of [
      'api.example.com',
      'ftp://x.example',
      'https://x.example/?a=1',
      'https://u:p@x.example',
    ])
      assert.throws(
        () => resolvePublicUrl('backlex', 1, 'h', { BACKLEX_PUBLIC_URL: bad }),
        /BACKLEX_PUBLIC_URL/,
      );
  });

  test('trusted proxies: none by default; addresses, CIDRs and named ranges; never everyone or a hop count', () => {
    assert.equal(loadPlatformConfig({}, '/repo').trustedProxies, false);
    assert.equal(loadPlatformConfig({ TRUSTPLANE_TRUSTED_PROXIES: 'false' }, '/repo').trustedProxies, false);
    assert.deepEqual(
      loadPlatformConfig(
        { TRUSTPLANE_TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7 ,loopback,fd00::/8' },
        '/repo',
      ).trustedProxies,
      ['10.0.0.0/8', '192.168.1.7', 'loopback', 'fd00::/8'],
    );
    for (const [value, reason] of [
      ['true', /would trust X-Forwarded-For from any client/],
      ['*', /would trust X-Forwarded-For from any client/],
      ['2', /hop count trusts whoever connects directly/],
      ['10.0.0.300', /invalid IP address/],
      ['10.0.0.0/40', /invalid range/],
      ['10.0.0.1,,10.0.0.2', /empty entry/],
    ] as const) {
      assert.throws(
        () => loadPlatformConfig({ TRUSTPLANE_TRUSTED_PROXIES: value }, '/repo'),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, value);
          assert.equal(error.issues.length, 1, value);
          assert.match(error.issues[0]!, /^TRUSTPLANE_TRUSTED_PROXIES: /, value);
          assert.match(error.issues[0]!, reason, value);
          return true;
        },
      );
    }
  });

  test('X-Forwarded-For sets request.ip only when the peer is a listed proxy', async () => {
    const ipOf = async (trustProxy: string[] | false) => {
      const app = await createHttpApp({
        service: 'test',
        title: 'test',
        version: '1',
        logger: pino({ level: 'silent' }),
        renderError: (error) => ({ statusCode: error.statusCode, body: { message: error.message } }),
        docs: false,
        trustProxy,
      });
      app.get('/ip', async (request) => ({ ip: request.ip }));
      try {
        // light-my-request connects from 127.0.0.1.
        const response = await app.inject({
          method: 'GET',
          url: '/ip',
          headers: { 'x-forwarded-for': '203.0.113.9' },
        });
        return response.json().ip as string;
      } finally {
        await app.close();
      }
    };
    assert.equal(await ipOf(false), '127.0.0.1');
    assert.equal(await ipOf(['10.0.0.0/8']), '127.0.0.1');
    assert.equal(await ipOf(['loopback']), '203.0.113.9');
    assert.equal(await ipOf([]), '127.0.0.1');
  });
});
