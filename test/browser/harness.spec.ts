import { consoleSecurityHeaders } from '../../web/security-headers';
import { expectNoSeriousA11yViolations } from './support/accessibility';
import { expect, test } from './support/fixtures';
import { expectNoTokenInStorage, looksLikeToken } from './support/storage';

/**
 * The harness proves itself against what the stack serves today: the global setup's stack
 * answers with the API, the token helper's tokens verify, and each watcher catches what it is
 * for (a check that cannot fail would prove nothing); the console's two entry pages are served as
 * HTML and load clean.
 */

// A page of the stack's origin the test writes itself, under the console's real CSP: storage
// and CSP behave as on the console's pages, whatever the console looks like today.
const PROBE_PATH = '/__harness-probe';
const probeHeaders = consoleSecurityHeaders({ signInOrigins: [] }, { https: false });

async function openProbe(page: import('@playwright/test').Page, body: string): Promise<void> {
  await page.route(`**${PROBE_PATH}`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers: probeHeaders, body }));
  await page.goto(PROBE_PATH);
}

const EMPTY_PAGE = '<!doctype html><html lang="en"><head><title>Probe</title></head><body><main><h1>Probe</h1></main></body></html>';

test('the local stack answers /v1/me with a demo token and refuses a call without one', async ({ request, apiAs, stack }) => {
  const me = await (await apiAs('Dispatcher')).get('/v1/me');
  expect(me.status()).toBe(200);
  expect(await me.json()).toMatchObject({ role: 'Dispatcher', sub: stack.user('Dispatcher').sub });
  const oakGrove = await (await apiAs('FacilityAdmin', 'admin@oakgrove.example')).get('/v1/me');
  expect(await oakGrove.json()).toMatchObject({ role: 'FacilityAdmin', facilityId: stack.user('FacilityAdmin', 'admin@oakgrove.example').facilityId });
  const anonymous = await request.get('/v1/me');
  expect(anonymous.status()).toBe(401);
  expect(anonymous.headers()['content-type']).toBe('application/problem+json');
});

test('the storage check finds a token in localStorage, sessionStorage, a cookie or IndexedDB, and passes when there is none',
  async ({ page, stack }) => {
    await openProbe(page, EMPTY_PAGE);
    await expectNoTokenInStorage(page);

    const token = stack.token('Dispatcher');
    const plants = [
      (value: string) => localStorage.setItem('session', value),
      (value: string) => sessionStorage.setItem('oidc.user:local', JSON.stringify({ access_token: value.slice(0, 4) })),
      (value: string) => {
        // biome-ignore lint/suspicious/noDocumentCookie: it plants a script-readable cookie on purpose
        document.cookie = `t=${value}; path=/`;
      },
      (value: string) => new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('probe-db');
        open.onupgradeneeded = () => open.result.createObjectStore('tokens');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const write = open.result.transaction('tokens', 'readwrite');
          write.objectStore('tokens').put({ refresh: value }, 'current');
          write.oncomplete = () => {
            open.result.close();
            resolve();
          };
        };
      }),
    ];
    for (const plant of plants) {
      await page.evaluate(plant, token);
      await expect(expectNoTokenInStorage(page)).rejects.toThrow(/token-like values/);
      await page.context().clearCookies();
      await page.evaluate(async () => {
        localStorage.clear();
        sessionStorage.clear();
        await new Promise((resolve) => {
          const deletion = indexedDB.deleteDatabase('probe-db');
          deletion.onsuccess = resolve;
          deletion.onerror = resolve;
        });
      });
      await expectNoTokenInStorage(page);
    }
    expect(looksLikeToken('a.b.c')).toBe(false);
    expect(looksLikeToken('{"theme":"dark","lastBoardDay":"2031-01-02"}')).toBe(false);
  });

test('the watcher reports console errors, uncaught errors and CSP violations', async ({ page, browserProblems }) => {
  // The console's CSP allows no inline script: this one is refused, and the refusal reported.
  await openProbe(page, '<!doctype html><html lang="en"><head><title>Probe</title></head><body><main><h1>Probe</h1>' +
    '<script>window.inlineRan = true</script></main></body></html>');
  expect(await page.evaluate(() => 'inlineRan' in window)).toBe(false);
  await page.evaluate(() => {
    console.error('deliberate console error');
    setTimeout(() => {
      throw new Error('deliberate uncaught error');
    });
  });
  await expect.poll(() => browserProblems.problems().map((problem) => problem.kind).sort())
    .toEqual(expect.arrayContaining(['console-error', 'csp-violation', 'page-error']));
  expect(browserProblems.problems().find((problem) => problem.kind === 'csp-violation')?.text).toContain('script-src');
  // Expected here, so the fixture lets this test pass; anywhere else each of them fails the test.
  browserProblems.allow(/./);
});

for (const path of ['/', '/request']) {
  test(`${path} loads under the CSP with no console errors and no serious accessibility violations`, async ({ page, request }) => {
    const answer = await request.get(path);
    expect(answer.status()).toBe(200);
    expect(answer.headers()['content-type'] ?? '').toMatch(/^text\/html/);
    await page.goto(path);
    await page.waitForLoadState('networkidle');
    await expectNoSeriousA11yViolations(page);
    await expectNoTokenInStorage(page);
  });
}
