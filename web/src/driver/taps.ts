import type { LegStatusEventBody } from '../api/contract';

/**
 * The driver's taps, kept on the phone in IndexedDB so that a tap made without signal survives
 * until it is sent (and a reload, or the browser closing). A tap holds the leg's id, the status,
 * the no-show reason, when it was tapped and its own Idempotency-Key: never a token, never the
 * rider's name or phone (those stay in memory with the legs). Sent taps are kept for the day
 * only so the completion form can prefill the actual times from them.
 */
export type TapState = 'pending' | 'sent' | 'refused';

export interface Tap {
  /** The Idempotency-Key, made when the driver tapped: a resend replays, never records twice. */
  key: string;
  /** Whose tap (the user's id, not a credential): a phone shared by two drivers sends each only their own. */
  driver: string;
  /** The order taps were made in; they are sent in this order. */
  seq: number;
  legId: string;
  event: LegStatusEventBody;
  tappedAt: string;
  state: TapState;
  /** Why the server refused it, in its own words (state `refused`). */
  refusal?: string;
}

const DATABASE = 'nemt-driver';
const STORE = 'taps';
const KEEP_MS = 2 * 86_400_000;

let opened: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: 'key' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function withStore<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const request = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(request.result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

/** This driver's taps still worth keeping, oldest first; sent taps older than two days are forgotten. */
export async function readTaps(driver: string): Promise<Tap[]> {
  const all = (await withStore<Tap[]>('readonly', (store) => store.getAll() as IDBRequest<Tap[]>))
    .sort((a, b) => a.seq - b.seq);
  const cutoff = Date.now() - KEEP_MS;
  const stale = all.filter((tap) => tap.state === 'sent' && Date.parse(tap.tappedAt) < cutoff);
  for (const tap of stale) await forgetTap(tap.key);
  return all.filter((tap) => tap.driver === driver && !stale.includes(tap));
}

export async function saveTap(tap: Tap): Promise<void> {
  await withStore('readwrite', (store) => store.put(tap));
}

export async function forgetTap(key: string): Promise<void> {
  await withStore('readwrite', (store) => store.delete(key));
}

export function newTap(driver: string, legId: string, event: LegStatusEventBody, previous: readonly Tap[]): Tap {
  const seq = Math.max(Date.now(), ...previous.map((tap) => tap.seq + 1));
  return { key: `tap-${crypto.randomUUID()}`, driver, seq, legId, event, tappedAt: new Date().toISOString(), state: 'pending' };
}
