/**
 * What the bot did towards users: every sendMessage, editMessageText and
 * answerCallbackQuery, accepted or refused, with the update it most likely
 * answers. Readable as a filtered query and as a live feed, so a driver can
 * measure the time from an injected update to the bot's reply.
 */

export interface SentRecord {
  /** Position in the log, from 1. */
  seq: number;
  /** When the call arrived, epoch milliseconds. */
  at: number;
  method: string;
  /** As the bot passed it (a number for every chat the simulator knows). */
  chat_id: number | string | null;
  message_id: number | null;
  text: string | null;
  reply_markup: unknown;
  callback_query_id: string | null;
  /** Whether the call succeeded; refused calls carry error_code and description. */
  ok: boolean;
  error_code: number | null;
  description: string | null;
  /**
   * The update this call answers, when inferable: for answerCallbackQuery the
   * query's own update, otherwise the latest update from that chat that had
   * been handed to the bot when the call arrived.
   */
  answers_update_id: number | null;
  /** When that update was injected; `at - update_injected_at` is the reply latency. */
  update_injected_at: number | null;
}

export interface SentFilter {
  chat_id?: number | string;
  /** Numeric chats in this inclusive range. */
  chat_id_from?: number;
  chat_id_to?: number;
  /** Records whose text contains this (case-sensitive). */
  text_contains?: string;
  method?: string;
  /** Records at or after this epoch millisecond. */
  since?: number;
  /** Records with seq above this. */
  after_seq?: number;
  ok?: boolean;
  /** Most records returned (the latest ones win). */
  limit?: number;
}

export function matchesSent(record: SentRecord, filter: SentFilter): boolean {
  return (
    (filter.chat_id === undefined || String(record.chat_id) === String(filter.chat_id)) &&
    (filter.chat_id_from === undefined || Number(record.chat_id) >= filter.chat_id_from) &&
    (filter.chat_id_to === undefined || Number(record.chat_id) <= filter.chat_id_to) &&
    (filter.text_contains === undefined || (typeof record.text === 'string' && record.text.includes(filter.text_contains))) &&
    (filter.method === undefined || record.method.toLowerCase() === filter.method.toLowerCase()) &&
    (filter.since === undefined || record.at >= filter.since) &&
    (filter.after_seq === undefined || record.seq > filter.after_seq) &&
    (filter.ok === undefined || record.ok === filter.ok)
  );
}

export class SentLog {
  private records: SentRecord[] = [];
  private seq = 0;
  private readonly listeners = new Set<(record: SentRecord) => void>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  add(record: Omit<SentRecord, 'seq'>): SentRecord {
    this.seq += 1;
    const full: SentRecord = { seq: this.seq, ...record };
    this.records.push(full);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
    for (const listener of this.listeners) {
      try {
        listener(full);
      } catch {
        // A broken stream reader must not break the API call that fed it.
      }
    }
    return full;
  }

  query(filter: SentFilter): SentRecord[] {
    const matching = this.records.filter((record) => matchesSent(record, filter));
    return filter.limit !== undefined && matching.length > filter.limit ? matching.slice(matching.length - filter.limit) : matching;
  }

  subscribe(listener: (record: SentRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.records.length;
  }

  clear(): void {
    this.records = [];
    this.seq = 0;
  }
}
