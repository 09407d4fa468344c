import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as samlify from 'samlify';
import { createSamlIdp, type SamlIdp, tamperSamlResponse } from './saml-idp.js';

let idp: SamlIdp;
let sp: ReturnType<typeof samlify.ServiceProvider>;
let idpAsSpSeesIt: ReturnType<typeof samlify.IdentityProvider>;
before(async () => {
  idp = await createSamlIdp();
  sp = samlify.ServiceProvider({
    entityID: 'https://sp.test/metadata',
    assertionConsumerService: [
      { Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: 'https://sp.test/acs' },
    ],
  });
  // The SP trusts only what an admin would configure: the IdP's metadata (entity id, SSO URL, cert).
  idpAsSpSeesIt = samlify.IdentityProvider({ metadata: idp.metadataXml });
});

async function signedResponseFor(email: string) {
  idp.signInAs(email);
  const { context: authnRequestUrl } = sp.createLoginRequest(idpAsSpSeesIt, 'redirect') as {
    context: string;
  };
  assert.ok(authnRequestUrl.startsWith(idp.entryPoint));
  return idp.respond(`${authnRequestUrl}&RelayState=relay-1`, sp.getMetadata());
}

test('an SP-initiated login gets a response signed with the selfsigned cert, for the chosen email', async () => {
  const post = await signedResponseFor('ada@acme.test');
  assert.equal(post.acsUrl, 'https://sp.test/acs');
  assert.equal(post.RelayState, 'relay-1');
  const parsed = await sp.parseLoginResponse(idpAsSpSeesIt, 'post', {
    body: { SAMLResponse: post.SAMLResponse },
  });
  assert.equal(parsed.extract.nameID, 'ada@acme.test');
  assert.equal(parsed.extract.issuer, idp.entityId);
});

test('a response edited after signing is refused by the SP', async () => {
  const post = await signedResponseFor('mallory@acme.test');
  const tampered = tamperSamlResponse(post.SAMLResponse, (xml) =>
    xml.replace('mallory@acme.test', 'ceo@acme.test'),
  );
  await assert.rejects(sp.parseLoginResponse(idpAsSpSeesIt, 'post', { body: { SAMLResponse: tampered } }));
});

test('a response signed by another certificate is refused by the SP', async () => {
  const impostor = await createSamlIdp({ entityId: idp.entityId });
  impostor.signInAs('ada@acme.test');
  const { context: authnRequestUrl } = sp.createLoginRequest(idpAsSpSeesIt, 'redirect') as {
    context: string;
  };
  const post = await impostor.respond(authnRequestUrl, sp.getMetadata());
  await assert.rejects(
    sp.parseLoginResponse(idpAsSpSeesIt, 'post', { body: { SAMLResponse: post.SAMLResponse } }),
  );
});
