// The operator console's build step (`npm run build -w services/kyc`): Vite builds `console/` into
// `dist/console`, unless that build is already of the current sources.
import { buildConsole } from '../src/console/console-build.js';

const started = Date.now();
const result = await buildConsole();
console.log(
  result.built
    ? `kyc operator console built into ${result.distDir} (${Date.now() - started} ms)`
    : `kyc operator console up to date (${result.distDir})`,
);
