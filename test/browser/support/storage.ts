import { expect, type Page } from '@playwright/test';

/**
 * SECURITY S27: tokens live in memory only. Reads, in the page, everything script-readable that
 * could hold a token — localStorage and sessionStorage (keys and values), the names of IndexedDB
 * databases and the records of their object stores, the Cache Storage names and
 * `document.cookie` — and fails when any of it looks like a JWT (three base64url parts) or
 * names an `access_token`, `refresh_token` or `id_token`. Run it on the console's origin (a page
 * of another origin sees that origin's storage only).
 */
export interface StoredItem {
  readonly where: string;
  readonly text: string;
}

const JWT_LIKE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/;
const TOKEN_NAMES = /access_token|refresh_token|id_token/i;

export function looksLikeToken(text: string): boolean {
  return JWT_LIKE.test(text) || TOKEN_NAMES.test(text);
}

/** Everything script-readable in the page's origin, as text. */
export async function readScriptReadableStorage(page: Page): Promise<StoredItem[]> {
  return page.evaluate(async () => {
    const items: { where: string; text: string }[] = [];
    const stringify = (value: unknown): string => {
      try {
        return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
      } catch {
        return String(value);
      }
    };
    for (const [name, storage] of [['localStorage', localStorage], ['sessionStorage', sessionStorage]] as const) {
      for (let index = 0; index < storage.length; index += 1) {
        const key = storage.key(index) ?? '';
        items.push({ where: `${name}[${key}]`, text: `${key}=${storage.getItem(key) ?? ''}` });
      }
    }
    if (document.cookie) items.push({ where: 'document.cookie', text: document.cookie });
    const databases = typeof indexedDB.databases === 'function' ? await indexedDB.databases() : [];
    for (const info of databases) {
      const name = info.name ?? '';
      items.push({ where: `indexedDB database ${name}`, text: name });
      const db = await new Promise<IDBDatabase | undefined>((resolve) => {
        const request = indexedDB.open(name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => resolve(undefined);
        request.onblocked = () => resolve(undefined);
      });
      if (!db) continue;
      for (const store of Array.from(db.objectStoreNames)) {
        const records = await new Promise<unknown[]>((resolve) => {
          const request = db.transaction(store, 'readonly').objectStore(store).getAll();
          request.onsuccess = () => resolve(request.result as unknown[]);
          request.onerror = () => resolve([]);
        });
        records.forEach((record, index) => {
          items.push({ where: `indexedDB ${name}/${store}#${index}`, text: stringify(record) });
        });
      }
      db.close();
    }
    if (typeof caches !== 'undefined') {
      for (const name of await caches.keys().catch(() => [] as string[])) items.push({ where: `caches ${name}`, text: name });
    }
    return items;
  });
}

export async function expectNoTokenInStorage(page: Page): Promise<void> {
  const items = await readScriptReadableStorage(page);
  const suspicious = items.filter((item) => looksLikeToken(item.text)).map((item) => item.where);
  expect(suspicious, `token-like values in script-readable storage of ${page.url()}: ${suspicious.join(', ')}`).toEqual([]);
}
