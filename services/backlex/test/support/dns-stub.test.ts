import assert from 'node:assert/strict';
import dnsPromises from 'node:dns/promises';
import { after, before, test } from 'node:test';
import { applyDnsServers, dnsServersSchema } from '../../src/sso/dns-servers.js';
import { type DnsStub, startDnsStub } from './dns-stub.js';

let stub: DnsStub;
let systemServers: string[];
before(async () => {
  systemServers = dnsPromises.getServers();
  stub = await startDnsStub();
});
after(async () => {
  dnsPromises.setServers(systemServers);
  await stub?.close();
});

test('BACKLEX_DNS_SERVERS routes the resolveTxt the SSO plugin calls to the stub', async () => {
  applyDnsServers(dnsServersSchema.parse(stub.server));
  stub.setTxt('_better-auth-token-acme.example.test', ['_better-auth-token-acme=abc123']);
  // The same call, on the same module default, as @better-auth/sso's verify-domain.
  const records = await dnsPromises.resolveTxt('_better-auth-token-acme.example.test');
  assert.deepEqual(
    records.map((chunks) => chunks.join('')),
    ['_better-auth-token-acme=abc123'],
  );
  assert.ok(stub.queries.includes('_better-auth-token-acme.example.test'));
});

test('a cleared record is no longer answered', async () => {
  stub.clear('_better-auth-token-acme.example.test');
  await assert.rejects(dnsPromises.resolveTxt('_better-auth-token-acme.example.test'), { code: 'ENODATA' });
});

test('the setting refuses anything but IP addresses with optional ports', () => {
  assert.deepEqual(dnsServersSchema.parse(undefined), []);
  assert.deepEqual(dnsServersSchema.parse(' 1.1.1.1, 127.0.0.1:5353 ,[::1]:53'), [
    '1.1.1.1',
    '127.0.0.1:5353',
    '[::1]:53',
  ]);
  assert.equal(dnsServersSchema.safeParse('dns.example.com').success, false);
  assert.equal(dnsServersSchema.safeParse('127.0.0.1:99999').success, false);
});
