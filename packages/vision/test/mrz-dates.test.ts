import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentExpiry, mrzDate, mrzExpiryDate } from '../src/mrz/mrz-dates.js';

describe('MRZ dates', () => {
  it('reads YYMMDD in the given century and refuses what is not a calendar date', () => {
    assert.equal(mrzDate('720530', 1900)?.toISOString().slice(0, 10), '1972-05-30');
    assert.equal(mrzExpiryDate('310611')?.toISOString().slice(0, 10), '2031-06-11');
    assert.equal(mrzExpiryDate('280229')?.toISOString().slice(0, 10), '2028-02-29');
    // A misread must not roll over into another day.
    for (const impossible of ['310231', '270229', '311301', '310100', '310632'])
      assert.equal(mrzExpiryDate(impossible), null, impossible);
    for (const unreadable of ['31<<11', '3106', '3106111', '', null, undefined])
      assert.equal(mrzExpiryDate(unreadable), null, String(unreadable));
  });

  it('a document is valid through its expiry day (UTC)', () => {
    const now = new Date('2026-11-23T23:59:59Z');
    assert.deepEqual(documentExpiry('261123', now), {
      date: new Date('2026-11-23T00:00:00Z'),
      isoDate: '2026-11-23',
      expired: false,
      today: '2026-11-23',
    });
    assert.equal(documentExpiry('261122', now).expired, true);
    assert.equal(documentExpiry('261124', new Date('2026-11-24T00:00:00Z')).expired, false);
    assert.deepEqual(documentExpiry('26<123', now), {
      date: null,
      isoDate: null,
      expired: null,
      today: '2026-11-23',
    });
  });
});
