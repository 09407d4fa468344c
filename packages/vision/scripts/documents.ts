import type { BrokenCheckDigits, MrzIdentity, MrzLayout } from '../src/mrz/compose.js';

/** A synthetic identity document of the test set (fictional people; portraits from the face fixtures). */
export interface DocumentSpec {
  id: string;
  layout: MrzLayout;
  documentType: 'CNI' | 'PASSPORT' | 'NATIONAL_ID' | 'TITRE_DE_SEJOUR';
  portrait: string;
  identity: MrzIdentity;
  broken?: BrokenCheckDigits;
  /** As a user would declare it (accents, case, alpha-2 nationality…). */
  declared: {
    first_name: string;
    last_name: string;
    date_of_birth: string;
    gender: 'M' | 'F';
    nationality: string;
  };
}

export const DOCUMENTS: DocumentSpec[] = [
  {
    id: 'td1-fra-dupre',
    layout: 'TD1',
    documentType: 'CNI',
    portrait: 'eileen_collins_nasa.jpg',
    identity: {
      documentCode: 'ID',
      issuingState: 'FRA',
      documentNumber: 'X4RTBPFW4',
      lastName: 'Dupré',
      firstNames: 'Élodie Marie',
      nationality: 'FRA',
      birthDate: '900214',
      sex: 'F',
      expirationDate: '310611',
    },
    declared: {
      first_name: 'Élodie Marie',
      last_name: 'Dupré',
      date_of_birth: '1990-02-14',
      gender: 'F',
      nationality: 'FR',
    },
  },
  {
    id: 'td1-deu-schmidt',
    layout: 'TD1',
    documentType: 'NATIONAL_ID',
    portrait: 'obama_2009_joint_session.jpg',
    identity: {
      documentCode: 'ID',
      issuingState: 'DEU',
      documentNumber: 'L01X00T47',
      lastName: 'Schmidt',
      firstNames: 'Jürgen',
      nationality: 'DEU',
      birthDate: '640812',
      sex: 'M',
      expirationDate: '300131',
    },
    declared: {
      first_name: 'Jurgen',
      last_name: 'SCHMIDT',
      date_of_birth: '1964-08-12',
      gender: 'M',
      nationality: 'DEU',
    },
  },
  {
    id: 'td1-bel-okafor',
    layout: 'TD1',
    documentType: 'TITRE_DE_SEJOUR',
    portrait: 'biden_2010_blue_room.jpg',
    identity: {
      documentCode: 'IR',
      issuingState: 'FRA',
      documentNumber: 'BK8305521',
      lastName: 'Okafor',
      firstNames: 'Chidi Emeka',
      nationality: 'NGA',
      birthDate: '851203',
      sex: 'M',
      expirationDate: '290915',
    },
    declared: {
      first_name: 'Chidi Emeka',
      last_name: 'Okafor',
      date_of_birth: '1985-12-03',
      gender: 'M',
      nationality: 'NG',
    },
  },
  {
    id: 'td3-fra-martin',
    layout: 'TD3',
    documentType: 'PASSPORT',
    portrait: 'obama_2012_oval_office_portrait.jpg',
    identity: {
      documentCode: 'P',
      issuingState: 'FRA',
      documentNumber: '18CK52013',
      lastName: 'Martin',
      firstNames: 'Jean-Pierre',
      nationality: 'FRA',
      birthDate: '720530',
      sex: 'M',
      expirationDate: '320228',
    },
    declared: {
      first_name: 'Jean Pierre',
      last_name: 'MARTIN',
      date_of_birth: '1972-05-30',
      gender: 'M',
      nationality: 'FR',
    },
  },
  {
    id: 'td3-esp-garcia',
    layout: 'TD3',
    documentType: 'PASSPORT',
    portrait: 'eileen_collins_nasa.jpg',
    identity: {
      documentCode: 'P',
      issuingState: 'ESP',
      documentNumber: 'PAB120573',
      lastName: 'García López',
      firstNames: 'María José',
      nationality: 'ESP',
      birthDate: '950407',
      sex: 'F',
      expirationDate: '331019',
      optional: '12345678Z',
    },
    declared: {
      first_name: 'Maria Jose',
      last_name: 'Garcia Lopez',
      date_of_birth: '1995-04-07',
      gender: 'F',
      nationality: 'ES',
    },
  },
  {
    id: 'td3-nld-visser',
    layout: 'TD3',
    documentType: 'PASSPORT',
    portrait: 'obama_2010_blue_room.jpg',
    identity: {
      documentCode: 'P',
      issuingState: 'NLD',
      documentNumber: 'NW0OS8I52',
      lastName: 'Visser',
      firstNames: 'Bram',
      nationality: 'NLD',
      birthDate: '010101',
      sex: 'M',
      expirationDate: '280808',
    },
    declared: {
      first_name: 'Bram',
      last_name: 'Visser',
      date_of_birth: '2001-01-01',
      gender: 'M',
      nationality: 'NL',
    },
  },
];

/** The same people printed with one wrong check digit: must never parse as valid. */
export const BROKEN_DOCUMENTS: DocumentSpec[] = [
  { ...(DOCUMENTS[0] as DocumentSpec), id: 'td1-fra-dupre-broken-dob', broken: { birthDate: true } },
  { ...(DOCUMENTS[5] as DocumentSpec), id: 'td3-nld-visser-broken-number', broken: { documentNumber: true } },
  { ...(DOCUMENTS[3] as DocumentSpec), id: 'td3-fra-martin-broken-composite', broken: { composite: true } },
];

export const DEGRADATIONS = ['jpeg', 'rotated', 'blurred', 'screen'] as const;
export type Degradation = (typeof DEGRADATIONS)[number];
