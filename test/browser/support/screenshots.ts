import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';

/**
 * The README's screenshots, taken by the browser tests so they show the console as it is:
 * `docs/screenshots/<name>-<width>.png` at each width (phone 375 px, desktop 1440 px), only when
 * UPDATE_SCREENSHOTS=1 (`UPDATE_SCREENSHOTS=1 npm run test:browser`), so an ordinary test run
 * never changes tracked files. The viewport's height, not the whole page, keeps each PNG small.
 */
export const SCREENSHOT_DIR = resolve(__dirname, '..', '..', '..', 'docs', 'screenshots');
const HEIGHT_FOR_WIDTH: Record<number, number> = { 375: 812, 1440: 900 };

export async function screenshot(page: Page, name: string, widths: readonly number[] = [375, 1440]): Promise<string[]> {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return [];
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name)) throw new Error(`screenshot name "${name}": use lower-case words and dashes`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const original = page.viewportSize();
  const written: string[] = [];
  try {
    for (const width of widths) {
      await page.setViewportSize({ width, height: HEIGHT_FOR_WIDTH[width] ?? 900 });
      // Let layout settle after the resize (media queries, virtualised lists re-measuring).
      await page.evaluate(() => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))));
      const path = join(SCREENSHOT_DIR, `${name}-${width}.png`);
      await page.screenshot({ path, type: 'png', fullPage: false, animations: 'disabled', caret: 'hide' });
      written.push(path);
    }
  } finally {
    if (original) await page.setViewportSize(original);
  }
  return written;
}
