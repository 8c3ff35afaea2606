/**
 * Durable write-ahead log for exporters (used by `prometheusremotewrite` when `wal.directory` is set). See wal.ts for
 * the contract (group-committed fsync before accept, replay after restart and kill -9, torn-tail recovery, cursor,
 * truncation, disk limit with `block` / `drop_oldest`), record.ts for the on-disk framing, cursor.ts for the
 * acknowledgement cursor.
 */
export { Wal } from './wal.ts';
export type { OverflowPolicy, WalOptions } from './wal.ts';
export type { RecordMeta, WalRecord } from './record.ts';
