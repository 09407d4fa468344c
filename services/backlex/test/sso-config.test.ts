import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generate } from 'selfsigned';
import { ssoInputSchema } from '../src/sso/sso-config.js';

const issues = (input: unknown) => {
  const result = ssoInputSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
};

test('oidc needs issuer and clientId; clientSecret may be left to the stored one', () => {
  assert.deepEqual(
    issues({ type: 'oidc', config: { issuer: 'https://idp.example.com', clientId: 'c', clientSecret: 's' } }),
    [],
  );
  assert.deepEqual(
    issues({ type: 'oidc', config: { issuer: 'https://idp.example.com', clientId: 'c' } }),
    [],
  );
  assert.deepEqual(issues({ type: 'oidc', config: { clientId: 'c' } }).sort(), ['config.issuer']);
  assert.deepEqual(issues({ type: 'oidc', config: { issuer: 'ftp://x.example.com', clientId: 'c' } }), [
    'config.issuer',
  ]);
  assert.deepEqual(
    issues({
      type: 'oidc',
      config: { issuer: 'https://idp.example.com', clientId: 'c', clientSecrett: 's' },
    }),
    ['config'],
  );
});

test('saml needs entryPoint + a real certificate, or idpMetadataXml', async () => {
  const { cert } = await generate([{ name: 'commonName', value: 'idp' }], { keySize: 2048 });
  assert.deepEqual(issues({ type: 'saml', config: { entryPoint: 'https://idp.example.com/sso', cert } }), []);
  assert.deepEqual(issues({ type: 'saml', config: { idpMetadataXml: '<EntityDescriptor/>' } }), []);
  assert.deepEqual(issues({ type: 'saml', config: { entryPoint: 'https://idp.example.com/sso' } }), [
    'config.cert',
  ]);
  assert.deepEqual(
    issues({ type: 'saml', config: { entryPoint: 'https://idp.example.com/sso', cert: 'not a cert' } }),
    ['config.cert'],
  );
  assert.deepEqual(issues({ type: 'saml', config: {} }).sort(), ['config.cert', 'config.entryPoint']);
});

test('emailDomain is a domain name or null; the type is oidc or saml', () => {
  const config = { issuer: 'https://idp.example.com', clientId: 'c' };
  assert.deepEqual(issues({ type: 'oidc', emailDomain: 'Acme.COM', config }), []);
  assert.equal(
    ssoInputSchema.parse({ type: 'oidc', emailDomain: 'Acme.COM', config }).emailDomain,
    'acme.com',
  );
  assert.deepEqual(issues({ type: 'oidc', emailDomain: null, config }), []);
  assert.deepEqual(issues({ type: 'oidc', emailDomain: 'not a domain', config }), ['emailDomain']);
  assert.deepEqual(issues({ type: 'ldap', config }), ['type']);
});
