/**
 * Commit events for in-process listeners (the composition root forwards them to workers over IPC).
 * Listeners run synchronously after the commit, in subscription order. A throwing listener is a bug in
 * the listener, not a failed write: the others still run and the error is rethrown on a later tick so
 * it is seen, while the caller of the write gets the committed result it is owed.
 */
import type { StoreEvent } from './types.js';

export class EventHub {
  private listeners: ((e: StoreEvent) => void)[] = [];

  on(listener: (e: StoreEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(e: StoreEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
