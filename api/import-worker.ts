/**
 * The thread side of import-thread.ts: parses the NDJSON chunks it is sent with ImportParser and
 * posts back each closed batch packed in one transferred buffer, an acknowledgement per chunk,
 * and at the end the counts and the rejected lines.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ImportParser, type ImportParseOptions } from './import-parser.js';
import type { ImportThreadReply, ImportThreadRequest } from './import-thread.js';

if (parentPort !== null) {
  const port = parentPort;
  const parser = new ImportParser(workerData as ImportParseOptions);
  const postBatches = (): void => {
    for (const { buf, length, count } of parser.takePackedBatches()) {
      const reply: ImportThreadReply = { kind: 'batch', buf, length, count };
      port.postMessage(reply, [buf]);
    }
  };
  port.on('message', (msg: ImportThreadRequest) => {
    if (msg.kind === 'chunk') {
      parser.push(Buffer.from(msg.buf, 0, msg.length));
      postBatches();
      const ack: ImportThreadReply = { kind: 'ack' };
      port.postMessage(ack);
      return;
    }
    parser.end();
    postBatches();
    const done: ImportThreadReply = { kind: 'done', accepted: parser.accepted, rejectedCount: parser.rejectedCount, rejected: parser.rejected };
    port.postMessage(done);
  });
}
