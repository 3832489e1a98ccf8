/**
 * The IXFR journal in the catalog (RFC 1995 §4): one `journal_versions` row per serial step
 * (from → to) and its RRs in `journal`, packed in chunks (journal-codec.ts), deletions before additions. A step with no RR change (a
 * settings change, a no-op batch) still gets its version row, so the chain of serials has no holes.
 * Retention is by rows per zone (store-common journalKeepTarget): past the limit, the oldest steps
 * are dropped, and IXFR from before them falls back to AXFR.
 */
import type Database from 'better-sqlite3';
import { compareSerial } from '../core/rrset.js';
import type { JournalEntry } from './types.js';
import { journalKeepTarget } from './store-common.js';
import { packJournal, unpackJournalChunk } from './journal-codec.js';

type VersionRow = [number, number, number];

export class CatalogJournal {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      insertVersion: db.prepare<[number, number, number, number]>('INSERT INTO journal_versions (zone_id, from_serial, to_serial, rows) VALUES (?, ?, ?, ?)'),
      insertChunk: db.prepare<[number, number, Buffer]>('INSERT INTO journal (version_id, chunk, rrs) VALUES (?, ?, ?)'),
      addRows: db.prepare<[number, number]>('UPDATE zones SET journal_rows = journal_rows + ? WHERE id = ?'),
      rowCount: db.prepare<[number], number>('SELECT journal_rows FROM zones WHERE id = ?').pluck(),
      // Newest first through journal_versions_zone ((zone_id, rowid) order): the serial a secondary
      // asks IXFR from is normally among the last steps (migrations.ts, v2).
      startOf: db.prepare<[number, number], number>('SELECT id FROM journal_versions INDEXED BY journal_versions_zone WHERE zone_id = ? AND from_serial = ? ORDER BY id DESC LIMIT 1').pluck(),
      versionsFrom: db.prepare<[number, number], VersionRow>('SELECT id, from_serial, to_serial FROM journal_versions WHERE zone_id = ? AND id >= ? ORDER BY id').raw(),
      chunksOf: db.prepare<[number], Buffer>('SELECT rrs FROM journal WHERE version_id = ? ORDER BY chunk').pluck(),
      oldest: db.prepare<[number], [number, number]>('SELECT id, rows FROM journal_versions WHERE zone_id = ? ORDER BY id').raw(),
      versionIds: db.prepare<[number], number>('SELECT id FROM journal_versions WHERE zone_id = ?').pluck(),
      deleteVersion: db.prepare<[number]>('DELETE FROM journal_versions WHERE id = ?'),
      deleteRrs: db.prepare<[number]>('DELETE FROM journal WHERE version_id = ?'),
    };
  }

  /** Appends one serial step; call inside the catalog transaction of the change. */
  append(zoneId: number, entry: JournalEntry): void {
    const rows = entry.deleted.length + entry.added.length;
    const version = Number(this.stmts.insertVersion.run(zoneId, entry.fromSerial, entry.toSerial, rows).lastInsertRowid);
    packJournal(entry.deleted, entry.added).forEach((chunk, i) => this.stmts.insertChunk.run(version, i, chunk));
    this.stmts.addRows.run(rows, zoneId);
  }

  /** Steps after `serial` up to `current`, oldest first; undefined when history does not reach back. */
  read(zoneId: number, serial: number, current: number): JournalEntry[] | undefined {
    if (serial === current) return [];
    if (compareSerial(serial, current) > 0) return undefined;
    const start = this.stmts.startOf.get(zoneId, serial);
    if (start === undefined) return undefined;
    return this.stmts.versionsFrom.all(zoneId, start).map(([id, fromSerial, toSerial]) => {
      const entry: JournalEntry = { fromSerial, toSerial, deleted: [], added: [] };
      for (const chunk of this.stmts.chunksOf.iterate(id)) unpackJournalChunk(chunk, entry);
      return entry;
    });
  }

  /** When a zone holds more than `limit` rows, drops its oldest steps (see journalKeepTarget). */
  prune(zoneId: number, limit: number): void {
    const held = this.stmts.rowCount.get(zoneId) ?? 0;
    const keep = journalKeepTarget(held, limit);
    if (keep === undefined) return;
    let excess = held - keep;
    const drop: [number, number][] = [];
    for (const [id, rows] of this.stmts.oldest.iterate(zoneId)) {
      if (excess <= 0) break;
      drop.push([id, rows]);
      excess -= rows;
    }
    let removed = 0;
    for (const [id, rows] of drop) {
      this.stmts.deleteRrs.run(id);
      this.stmts.deleteVersion.run(id);
      removed += rows;
    }
    this.stmts.addRows.run(-removed, zoneId);
  }

  deleteZone(zoneId: number): void {
    for (const id of this.stmts.versionIds.all(zoneId)) {
      this.stmts.deleteRrs.run(id);
      this.stmts.deleteVersion.run(id);
    }
  }

}
