/** Runs the zone-store contract battery against MemoryZoneStore. */
import { createMemoryStore } from '../../../zone-store/index.js';
import { runContract } from './contract.js';

runContract('memory', (opts) => ({ store: createMemoryStore(opts), cleanup: () => undefined }));
