// The hosted page's build step (`npm run build -w services/kyc`): Vite builds `web/` into
// `dist/hosted-page`, unless that build is already of the current sources.
import { buildHostedPage } from '../src/hosted-page/hosted-page-build.js';

const started = Date.now();
const result = await buildHostedPage();
console.log(
  result.built
    ? `kyc hosted page built into ${result.distDir} (${Date.now() - started} ms)`
    : `kyc hosted page up to date (${result.distDir})`,
);
