// Host process bootstrap: the sources are TypeScript run through tsx (as the CLI does), and a
// child process does not inherit a loader registered with `register()` in its parent.
import { register } from 'tsx/esm/api';

register();
await import('./host-process.ts');
