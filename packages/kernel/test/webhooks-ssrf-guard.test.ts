import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertPublicDestination,
  type HostLookup,
  isBlockedAddress,
  pinnedLookup,
  UnsafeDestinationError,
} from '../src/webhooks/ssrf-guard.js';

const refused = [
  'http://127.0.0.1/hook',
  'http://127.10.20.30/',
  'http://[::1]/hook',
  'http://localhost:8080/hook',
  'http://10.1.2.3/',
  'http://172.16.0.1/',
  'http://172.31.255.255/',
  'http://192.168.1.1/',
  'http://169.254.169.254/latest/meta-data/',
  'http://100.64.0.1/',
  'http://100.100.100.200/',
  'http://0.0.0.0/',
  'http://[::]/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[2002:7f00:1::]/',
  'http://[fc00::1]/',
  'http://[fd00:ec2::254]/',
  'http://[fe80::1]/',
  'http://[ff02::1]/',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://0x7f.0.0.1/',
  'http://017700000001/',
  'http://127.1/',
  'https://168.63.129.16/',
];

describe('assertPublicDestination', () => {
  for (const url of refused) {
    test(`refuses ${url}`, async () => {
      await assert.rejects(assertPublicDestination(url), UnsafeDestinationError);
    });
  }

  for (const url of [
    'file:///etc/passwd',
    'ftp://example.com/',
    'gopher://example.com/',
    'javascript:alert(1)',
    'not a url',
  ]) {
    test(`refuses the non-http destination ${url}`, async () => {
      await assert.rejects(assertPublicDestination(url, { allowPrivate: true }), UnsafeDestinationError);
    });
  }

  test('allows public addresses and returns them', async () => {
    const result = await assertPublicDestination('https://93.184.216.34:8443/hooks?x=1');
    assert.deepEqual(result.addresses, [{ address: '93.184.216.34', family: 4 }]);
    assert.equal(result.url.port, '8443');
    const v6 = await assertPublicDestination('https://[2606:2800:220:1:248:1893:25c8:1946]/');
    assert.deepEqual(v6.addresses, [{ address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 }]);
    const mapped = await assertPublicDestination('http://[::ffff:8.8.8.8]/');
    assert.equal(mapped.addresses.length, 1);
  });

  test('allowPrivate lets loopback and private destinations through', async () => {
    for (const url of ['http://127.0.0.1:3000/', 'http://[::1]/', 'http://10.0.0.1/', 'http://localhost/']) {
      const result = await assertPublicDestination(url, { allowPrivate: true });
      assert.ok(result.addresses.length > 0, url);
    }
  });

  test('checks every address a name resolves to', async () => {
    const lookup: HostLookup = async (host) =>
      host === 'mixed.example'
        ? [
            { address: '93.184.216.34', family: 4 },
            { address: '10.0.0.7', family: 4 },
          ]
        : [{ address: '93.184.216.34', family: 4 }];
    await assert.rejects(assertPublicDestination('https://mixed.example/', { lookup }), /10\.0\.0\.7/);
    const ok = await assertPublicDestination('https://public.example/', { lookup });
    assert.deepEqual(ok.addresses, [{ address: '93.184.216.34', family: 4 }]);
  });

  test('a name that does not resolve is an ordinary error, not an unsafe destination', async () => {
    const lookup: HostLookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(assertPublicDestination('https://nowhere.example/', { lookup }), (error: Error) => {
      assert.ok(!(error instanceof UnsafeDestinationError));
      assert.match(error.message, /cannot resolve nowhere\.example \(ENOTFOUND\)/);
      return true;
    });
  });
});

describe('isBlockedAddress', () => {
  test('classifies addresses', () => {
    assert.equal(isBlockedAddress('8.8.8.8'), false);
    assert.equal(isBlockedAddress('172.32.0.1'), false);
    assert.equal(isBlockedAddress('100.128.0.1'), false);
    assert.equal(isBlockedAddress('2001:4860:4860::8888'), false);
    assert.equal(isBlockedAddress('::ffff:8.8.8.8'), false);
    assert.equal(isBlockedAddress('::ffff:192.168.0.1'), true);
    assert.equal(isBlockedAddress('fe80::1%eth0'), true);
    assert.equal(isBlockedAddress('not-an-ip'), true);
  });
});

describe('pinnedLookup', () => {
  const lookup = pinnedLookup([
    { address: '93.184.216.34', family: 4 },
    { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
  ]);

  test('answers only with the vetted addresses, whatever the host name', async () => {
    const single = await new Promise<[string, number | undefined]>((resolve, reject) =>
      lookup('rebound.example', {}, (error, address, family) =>
        error ? reject(error) : resolve([address as string, family]),
      ),
    );
    assert.deepEqual(single, ['93.184.216.34', 4]);
    const all = await new Promise<unknown>((resolve, reject) =>
      lookup('rebound.example', { all: true }, (error, addresses) =>
        error ? reject(error) : resolve(addresses),
      ),
    );
    assert.deepEqual(all, [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
    const v6 = await new Promise<unknown>((resolve, reject) =>
      lookup('rebound.example', { family: 6 }, (error, address) =>
        error ? reject(error) : resolve(address),
      ),
    );
    assert.equal(v6, '2606:2800:220:1:248:1893:25c8:1946');
  });
});
