/**
 * The thread side of signing-pool.ts: holds the private keys it was sent (KeyObjects cross threads
 * by postMessage without their material ever being serialised to text) and signs batches. A batch is
 * one transferred buffer of jobs `id(u32) key(u32) len(u16) data`; replies are transferred buffers
 * of `id(u32) len(u16) signature`, or `id(u32) 0xffff` for a job whose key is unknown, sent at least
 * every millisecond while a batch is being signed.
 * Nothing here logs or echoes key material.
 */
import { sign, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { DnssecAlgorithm } from './keys.js';

export interface KeyMessage {
  kind: 'key';
  id: number;
  algorithm: number;
  key: KeyObject;
}

export interface BatchMessage {
  kind: 'batch';
  jobs: ArrayBuffer;
  length: number;
}

export interface ResultMessage {
  results: ArrayBuffer;
  length: number;
}

export const UNKNOWN_KEY = 0xffff;

const keys = new Map<number, { algorithm: number; key: KeyObject }>();

function signOne(algorithm: number, key: KeyObject, data: Uint8Array): Buffer {
  if (algorithm === DnssecAlgorithm.ECDSAP256SHA256) return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  return sign(null, data, key);
}

/**
 * Signs a batch, posting what is done every REPLY_EVERY_MS rather than at the end: a burst of
 * denials then waits for its own signature, not for the whole burst's.
 */
function runBatch(msg: BatchMessage, post: (reply: ResultMessage) => void): void {
  const jobs = Buffer.from(msg.jobs, 0, msg.length);
  let parts: Buffer[] = [];
  let size = 0;
  let since = performance.now();
  const send = (): void => {
    const out = new ArrayBuffer(size);
    const view = Buffer.from(out);
    let at = 0;
    for (const p of parts) at += p.copy(view, at);
    post({ results: out, length: size });
    parts = [];
    size = 0;
    since = performance.now();
  };
  for (let at = 0; at < jobs.length; ) {
    const id = jobs.readUInt32LE(at);
    const keyId = jobs.readUInt32LE(at + 4);
    const len = jobs.readUInt16LE(at + 8);
    const data = jobs.subarray(at + 10, at + 10 + len);
    at += 10 + len;
    const k = keys.get(keyId);
    const head = Buffer.allocUnsafe(6);
    head.writeUInt32LE(id, 0);
    if (k === undefined) {
      head.writeUInt16LE(UNKNOWN_KEY, 4);
      parts.push(head);
      size += 6;
    } else {
      const sig = signOne(k.algorithm, k.key, data);
      head.writeUInt16LE(sig.length, 4);
      parts.push(head, sig);
      size += 6 + sig.length;
    }
    if (performance.now() - since >= REPLY_EVERY_MS) send();
  }
  if (size > 0) send();
}

/** Longest a finished signature waits in the thread for the rest of its batch. */
const REPLY_EVERY_MS = 1;

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (msg: KeyMessage | BatchMessage) => {
    if (msg.kind === 'key') {
      keys.set(msg.id, { algorithm: msg.algorithm, key: msg.key });
      return;
    }
    runBatch(msg, (reply) => port.postMessage(reply, [reply.results]));
  });
}
