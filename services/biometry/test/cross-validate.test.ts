import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareBirthDate,
  compareGender,
  compareNationality,
  nameMatchScore,
  nameTokens,
} from '../src/pipeline/cross-validate.js';

describe('cross-validation rules', () => {
  it('normalises names like the MRZ: case, accents, fillers, hyphens', () => {
    assert.deepEqual(nameTokens('Élodie-Marie  du Pré'), ['ELODIE', 'MARIE', 'DU', 'PRE']);
    assert.equal(nameMatchScore('Jean-Pierre', 'JEAN PIERRE'), 1);
    assert.equal(nameMatchScore('García López', 'GARCIA LOPEZ'), 1);
  });

  it('matches name tokens in any order and scores near misses between 0 and 1', () => {
    assert.equal(nameMatchScore('Marie Élodie', 'ELODIE MARIE'), 1);
    const typo = nameMatchScore('Elodee', 'ELODIE');
    assert.ok(typo > 0.6 && typo < 1, String(typo));
    assert.ok(nameMatchScore('Paul', 'ELODIE MARIE') < 0.3);
    // A middle name on the document that was not declared lowers the score.
    assert.ok(nameMatchScore('Elodie', 'ELODIE MARIE') < 0.9);
  });

  it('accepts a declared name truncated by the MRZ line length', () => {
    assert.equal(nameMatchScore('Maximilianus', 'MAXIMILIAN'), 1);
  });

  it('compares the date of birth with the century from the declaration', () => {
    assert.deepEqual(compareBirthDate('1990-02-14', '900214'), {
      passed: true,
      expected: '1990-02-14',
      found: '1990-02-14',
      score: 1,
    });
    assert.equal(compareBirthDate('1990-02-15', '900214').passed, false);
    assert.equal(compareBirthDate('1990-02-14', null).passed, false);
  });

  it('maps gender M/F exactly and O/N to an unspecified MRZ sex', () => {
    assert.equal(compareGender('F', 'female').passed, true);
    assert.equal(compareGender('M', 'female').passed, false);
    assert.equal(compareGender('N', 'nonspecified').passed, true);
    assert.equal(compareGender('O', 'male').passed, false);
    assert.equal(compareGender(null, 'male').passed, true);
  });

  it('compares nationality as alpha-3, accepting declared alpha-2', () => {
    assert.equal(compareNationality('FR', 'FRA').passed, true);
    assert.equal(compareNationality('fra', 'FRA').passed, true);
    assert.equal(compareNationality('DE', 'D').passed, true);
    assert.equal(compareNationality('NG', 'GHA').passed, false);
  });
});
