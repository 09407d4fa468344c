import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServiceHarness } from '@trustplane/kernel/testkit';
import { type BiometryClient, bootBiometry, jobBody } from './helpers.js';

// biometry's settings come from the env it is booted with (`context.env`), as `trustplane start`
// passes its environment: nothing here is set in process.env.
describe('settings from the boot env', () => {
  let harness: ServiceHarness<BiometryClient>;
  before(async () => {
    assert.equal(process.env.BIOMETRY_MAX_IMAGE_BYTES, undefined);
    // Between the selfie fixture (76 KB) and the card sides (116–118 KB); the default is 10 MiB.
    harness = await bootBiometry({ env: { BIOMETRY_MAX_IMAGE_BYTES: '100000' } });
  });
  after(async () => harness?.booted.close());

  it('BIOMETRY_MAX_IMAGE_BYTES in the boot env refuses the larger images, and only them', async () => {
    const client = await harness.tenant();
    const response = await harness.inject({
      method: 'POST',
      url: '/jobs/submit',
      headers: { 'x-service-api-key': client.key },
      payload: jobBody(),
    });
    assert.equal(response.statusCode, 422);
    const detail = response.json().detail as { loc: string[]; type: string }[];
    assert.deepEqual(
      detail.map((item) => [item.loc.join('.'), item.type]),
      [
        ['body.cni_recto_b64', 'image_too_large'],
        ['body.cni_verso_b64', 'image_too_large'],
      ],
    );
  });
});
