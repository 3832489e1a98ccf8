/**
 * A child process for zone-store tests: opens a data directory read-only and reads names in
 * back-to-back event-loop turns (each turn 200 point reads, the next turn at once), as a saturated
 * DNS worker does, until its parent disconnects or 20 s pass. Sends 'reading' after its first turn.
 *
 *   fork(busy-reader.js, [dataDir, zoneName, nameCount])
 */
import { openSqliteStore } from '../../zone-store/index.js';

const [dir, zoneName, countText] = process.argv.slice(2);
const store = openSqliteStore(dir!, { readonly: true });
const zone = store.getZone(zoneName!);
if (zone === undefined) throw new Error(`no zone ${zoneName}`);
const count = Number(countText);
const deadline = Date.now() + 20_000;
let n = 0;
let told = false;
const turn = (): void => {
  if (!process.connected || Date.now() > deadline) {
    store.close();
    process.exit(0);
  }
  for (let i = 0; i < 200; i++) store.getNode(zone, `n${n++ % count}.${zoneName}`);
  if (!told) {
    told = true;
    process.send?.('reading');
  }
  setImmediate(turn);
};
turn();
