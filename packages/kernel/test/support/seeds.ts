// The seeds the contract tests load, as the services' definitions declare them (`seed`). The
// kernel itself names no seed; these tests exercise its loaders on the real documents.
import type { SeededService } from '../../src/testkit/contract.js';

const ENDPOINT_DOCUMENT = '004_61d7e886695bdff9.txt';

export const SEEDS = {
  kyc: { name: 'kyc', seed: { file: '000_36c1d14c8e9844b6.txt' } },
  biometry: { name: 'biometry', seed: { file: '001_62ff2170cf155301.txt' } },
  verifact: { name: 'verifact', seed: { file: '002_9410134b0ec9a44c.txt' } },
  backlex: { name: 'backlex', seed: { file: '003_ed5fbb156ace5f76.txt' } },
  account: {
    name: 'account',
    seed: {
      file: ENDPOINT_DOCUMENT,
      sections: ['account', 'auth', 'operations', 'organizations', 'service-accounts', 'api-keys'],
    },
  },
  media: {
    name: 'media',
    seed: {
      file: ENDPOINT_DOCUMENT,
      sections: ['folders', 'health', 'media', 'recent', 'shared-links', 'starred', 'upload'],
    },
  },
  notification: {
    name: 'notification',
    seed: { file: ENDPOINT_DOCUMENT, sections: ['notification-rpc', 'queue-rpc', 'http'] },
  },
} satisfies Record<string, SeededService>;
