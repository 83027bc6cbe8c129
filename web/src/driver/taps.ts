import type { CompletionBody, LegStatus, LegStatusEventBody } from '../api/contract';

/**
 * The driver's taps, kept on the phone in IndexedDB so that a tap made without signal survives
 * until it is sent (and a reload, or the browser closing). A tap is a status (en route … no-show)
 * or a leg's completion (times, odometer, notes); it holds the leg's id, when it was made and its
 * own Idempotency-Key: never a token, never the rider's name or phone (those stay in memory with
 * the legs). A completion's notes stay on the phone only until the server has them (or the driver
 * dismisses its refusal). Sent taps are kept for the day only so the completion form can prefill
 * the actual times from them.
 */
export type TapState = 'pending' | 'sent' | 'refused';

/** What a tap records: a status event, or the completion form's answers. */
export type TapAction =
  | { event: LegStatusEventBody; completion?: undefined }
  | { completion: CompletionBody; event?: undefined };

export type Tap = TapRecord & TapAction;

interface TapRecord {
  /** The Idempotency-Key, made when the driver tapped: a resend replays, never records twice. */
  key: string;
  /** Whose tap (the user's id, not a credential): a phone shared by two drivers sends each only their own. */
  driver: string;
  /** The order taps were made in; they are sent in this order. */
  seq: number;
  legId: string;
  tappedAt: string;
  state: TapState;
  /** Why the server refused it, in its own words (state `refused`). */
  refusal?: string;
  /** A refused completion's messages by field (odometerEnd …), shown at the fields when the form opens again. */
  fieldErrors?: Record<string, string>;
}

/** The status a tap moves its leg to. */
export function tapStatus(tap: Tap): LegStatus {
  return tap.completion ? 'completed' : tap.event.status;
}

/** A tap once the server has it: a completion's notes are the rider's business, no longer needed on the phone. */
export function sentTap(tap: Tap): Tap {
  if (!tap.completion) return { ...tap, state: 'sent' };
  const { notes: _notes, ...kept } = tap.completion;
  return { ...tap, completion: kept, state: 'sent' };
}

const DATABASE = 'nemt-driver';
const STORE = 'taps';
const KEEP_MS = 2 * 86_400_000;

/** Where taps are kept: IndexedDB, or this page's memory when the browser refuses IndexedDB. */
interface TapStore {
  all(): Promise<Tap[]>;
  put(tap: Tap): Promise<void>;
  remove(key: string): Promise<void>;
}

function indexedDbStore(db: IDBDatabase): TapStore {
  const run = <T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> =>
    new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  return {
    all: () => run('readonly', (store) => store.getAll() as IDBRequest<Tap[]>),
    put: async (tap) => {
      await run('readwrite', (store) => store.put(tap));
    },
    remove: async (key) => {
      await run('readwrite', (store) => store.delete(key));
    },
  };
}

/** Taps kept only while this page is open: they are still sent, in order, once each. */
function memoryStore(): TapStore {
  const kept = new Map<string, Tap>();
  return {
    all: async () => [...kept.values()],
    put: async (tap) => {
      kept.set(tap.key, tap);
    },
    remove: async (key) => {
      kept.delete(key);
    },
  };
}

function openIndexedDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(STORE, { keyPath: 'key' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

let opened: Promise<TapStore> | undefined;
let onThisPageOnly = false;

function tapStore(): Promise<TapStore> {
  opened ??= (async () => {
    try {
      return indexedDbStore(await openIndexedDb());
    } catch {
      // Some private modes and locked-down phones refuse IndexedDB (or throw on touching it).
      onThisPageOnly = true;
      return memoryStore();
    }
  })();
  return opened;
}

/** True once the browser refused IndexedDB: taps then last only as long as this page. */
export async function tapsKeptOnThisPageOnly(): Promise<boolean> {
  await tapStore();
  return onThisPageOnly;
}

/** This driver's taps still worth keeping, oldest first; sent taps older than two days are forgotten. */
export async function readTaps(driver: string): Promise<Tap[]> {
  const all = (await (await tapStore()).all()).sort((a, b) => a.seq - b.seq);
  const cutoff = Date.now() - KEEP_MS;
  const stale = all.filter((tap) => tap.state === 'sent' && Date.parse(tap.tappedAt) < cutoff);
  for (const tap of stale) await forgetTap(tap.key);
  return all.filter((tap) => tap.driver === driver && !stale.includes(tap));
}

export async function saveTap(tap: Tap): Promise<void> {
  await (await tapStore()).put(tap);
}

export async function forgetTap(key: string): Promise<void> {
  await (await tapStore()).remove(key);
}

export function newTap(driver: string, legId: string, action: TapAction, previous: readonly Tap[]): Tap {
  const seq = Math.max(Date.now(), ...previous.map((tap) => tap.seq + 1));
  const key = `${action.completion ? 'completion' : 'tap'}-${crypto.randomUUID()}`;
  return { key, driver, seq, legId, ...action, tappedAt: new Date().toISOString(), state: 'pending' };
}
