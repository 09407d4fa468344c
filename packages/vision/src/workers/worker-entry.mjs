// Worker bootstrap: the sources are TypeScript run through tsx (as the CLI does), and a
// worker thread does not inherit a loader registered with `register()` in its parent.
import { register } from 'tsx/esm/api';

register();
await import('./worker-host.ts');
