import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'mrz';
import { checkDigit } from '../src/mrz/check-digit.js';
import { composeMrz, type MrzIdentity, mrzTransliterate, trimFiller } from '../src/mrz/compose.js';
import { correctMrz } from '../src/mrz/correct.js';
import { fitLength } from '../src/mrz/mrz-reader.js';

const identity: MrzIdentity = {
  documentCode: 'P',
  issuingState: 'NLD',
  documentNumber: 'NW0OS8I52',
  lastName: 'De Vries',
  firstNames: 'Anne-Sophie',
  nationality: 'NLD',
  birthDate: '010101',
  sex: 'F',
  expirationDate: '280808',
};

describe('MRZ check digits and composition', () => {
  it('computes ICAO 9303 check digits (spec examples)', () => {
    assert.equal(checkDigit('L898902C3'), '6');
    assert.equal(checkDigit('740812'), '2');
    assert.equal(checkDigit('120415'), '9');
    assert.equal(checkDigit('D23145890'), '7');
  });

  it('composes TD1 and TD3 that the mrz parser accepts', () => {
    for (const layout of ['TD1', 'TD3'] as const) {
      const lines = composeMrz(layout, { ...identity, documentCode: layout === 'TD1' ? 'ID' : 'P' });
      const parsed = parse(lines);
      assert.equal(parsed.valid, true, JSON.stringify(parsed.details.filter((detail) => !detail.valid)));
      assert.equal(parsed.fields.lastName, 'DE VRIES');
      assert.equal(parsed.fields.firstName, 'ANNE SOPHIE');
    }
  });

  it('transliterates accents and separators as ICAO does', () => {
    assert.equal(mrzTransliterate('García López'), 'GARCIA<LOPEZ');
    assert.equal(mrzTransliterate('Jürgen'), 'JURGEN');
    assert.equal(mrzTransliterate("O'Brien-Smith"), 'O<BRIEN<SMITH');
    // Separators at either end leave no filler behind.
    assert.equal(mrzTransliterate(' -Anne Marie- '), 'ANNE<MARIE');
    assert.equal(mrzTransliterate('<<<'), '');
    assert.equal(mrzTransliterate(`${'<'.repeat(100_000)}x`), 'X');
  });

  it('trims fillers from either end without touching inner ones', () => {
    assert.equal(trimFiller('D<<', 'end'), 'D');
    assert.equal(trimFiller('<<D<E<<', 'end'), '<<D<E');
    assert.equal(trimFiller('<<D<E<<', 'start'), 'D<E<<');
    assert.equal(trimFiller('<<D<E<<'), 'D<E');
    assert.equal(trimFiller('<<<'), '');
  });
});

describe('MRZ look-alike correction', () => {
  const clean = composeMrz('TD3', identity);

  it('fixes letters read in digit-only fields without needing a check digit', () => {
    const misread = [clean[0] as string, (clean[1] as string).replace('0101011', 'O1O1O11')];
    const corrected = correctMrz(misread, 'TD3');
    assert.deepEqual(corrected.lines, clean);
    assert.equal(corrected.checksPass, true);
    assert.ok(corrected.corrections.every((correction) => correction.reason === 'type'));
  });

  it('settles a single look-alike in the document number by its check digits', () => {
    const printed = composeMrz('TD3', { ...identity, documentNumber: 'XA7RT40P3' });
    const misread = [printed[0] as string, `XA7RT4OP3${(printed[1] as string).slice(9)}`];
    const corrected = correctMrz(misread, 'TD3');
    assert.deepEqual(corrected.lines, printed);
    assert.ok(corrected.corrections.some((correction) => correction.reason === 'check-digit'));
  });

  it('leaves a field unreadable rather than guess when several spellings satisfy the digits', () => {
    // Seven look-alikes in one number: more than one spelling passes both digits.
    const misread = [clean[0] as string, `NWO0SBI5Z${(clean[1] as string).slice(9)}`];
    assert.equal(correctMrz(misread, 'TD3').checksPass, false);
  });

  it('repairs an unknown country code to the only state its look-alikes spell', () => {
    const misread = [(clean[0] as string).replace('P<NLD', 'P<NL0'), clean[1] as string];
    assert.deepEqual(correctMrz(misread, 'TD3').lines, clean);
  });

  it('never corrects a misprinted check digit into a pass', () => {
    for (const broken of [
      { documentNumber: true },
      { birthDate: true },
      { expirationDate: true },
      { composite: true },
    ]) {
      for (const layout of ['TD1', 'TD3'] as const) {
        const lines = composeMrz(
          layout,
          { ...identity, documentCode: layout === 'TD1' ? 'ID' : 'P' },
          broken,
        );
        const corrected = correctMrz(lines, layout);
        assert.equal(
          corrected.checksPass,
          false,
          `${layout} ${JSON.stringify(broken)} was corrected into a pass`,
        );
        assert.equal(parse(corrected.lines).valid, false);
      }
    }
  });

  it('never corrects a misprinted digit into a pass even when OCR also confused look-alikes', () => {
    const broken = composeMrz('TD3', identity, { documentNumber: true });
    // The document number as OCR might read it: every look-alike swapped.
    const misread = [broken[0] as string, `NWO0S8152${(broken[1] as string).slice(9)}`];
    assert.equal(correctMrz(misread, 'TD3').checksPass, false);
  });

  it('fits lines whose filler runs OCR shortened or lengthened', () => {
    assert.equal(fitLength('P<NLDDE<VRIES<<ANNE<SOPHIE<<<<<', 44).length, 44);
    assert.equal(fitLength(`${clean[0]}<<<`, 44), clean[0]);
  });
});
