// Worker-thread bootstrap: workers do not inherit the parent's TypeScript loader, so register
// tsx here and then load the TypeScript worker. Plain JavaScript on purpose.
import { register } from 'tsx/esm/api';

register();
await import('./worker.js');
