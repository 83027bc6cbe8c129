import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryDownload, lazyImports, screenDownloads } from '../../bench/p9-console';

/**
 * P9a counts, for every screen the console loads on demand, what opening it directly downloads:
 * the entry page's files plus that screen's chunk and what Vite preloads with it — and nothing
 * of the other screens. Checked on a small dist shaped as Vite 8 writes it.
 */
describe('P9a: the download of each screen opened directly', () => {
  let dist: string;
  const write = (path: string, content: string) => {
    mkdirSync(join(dist, path, '..'), { recursive: true });
    writeFileSync(join(dist, path), content);
  };

  beforeAll(() => {
    dist = mkdtempSync(join(tmpdir(), 'p9-dist-'));
    write('index.html', '<script type="module" crossorigin src="/assets/console-AAAAAAAA.js"></script>'
      + '<link rel="stylesheet" href="/assets/console-BBBBBBBB.css">');
    write('assets/console-AAAAAAAA.js', 'import{a}from"./shared-CCCCCCCC.js";'
      + 'const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/Board-DDDDDDDD.js","assets/shared-CCCCCCCC.js",'
      + '"assets/MyDay-EEEEEEEE.js","assets/MyDay-FFFFFFFF.css"])))=>i.map(i=>d[i]);'
      + 'const B=lazy(()=>L(()=>import(`./Board-DDDDDDDD.js`),__vite__mapDeps([0,1])));'
      + 'const M=lazy(()=>L(()=>import(`./MyDay-EEEEEEEE.js`),__vite__mapDeps([2,1,3])));'
      + 'const O=lazy(()=>L(()=>import(`./OurTrips-GGGGGGGG.js`),[]));');
    write('assets/console-BBBBBBBB.css', 'body{margin:0}');
    write('assets/shared-CCCCCCCC.js', 'export const a=1;');
    write('assets/Board-DDDDDDDD.js', `import{a}from"./shared-CCCCCCCC.js";export default ${'"board"+'.repeat(200)}"";`);
    write('assets/MyDay-EEEEEEEE.js', 'import{a}from"./shared-CCCCCCCC.js";import"./offline-HHHHHHHH.js";export default 1;');
    write('assets/offline-HHHHHHHH.js', 'export const queue=[];');
    write('assets/MyDay-FFFFFFFF.css', '.day{color:red}');
    write('assets/OurTrips-GGGGGGGG.js', 'export default 2;');
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  test('the preload table maps each dynamic import to its chunk and its dependencies', () => {
    const code = `const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/X-12345678.js","assets/X-87654321.css"])))=>i;`
      + 'lazy(()=>L(()=>import(`./X-12345678.js`),__vite__mapDeps([0,1])));import("https://elsewhere.example/y.js")';
    expect(lazyImports(code, new URL('http://console.local/assets/console-AAAAAAAA.js'))).toEqual([
      { name: 'X', chunk: 'assets/X-12345678.js', preloads: ['assets/X-12345678.js', 'assets/X-87654321.css'] },
    ]);
  });

  test('each screen adds its own files to the entry page, and only its own', () => {
    const entry = entryDownload(dist, 'index.html');
    const screens = new Map(screenDownloads(dist, 'index.html').map((screen) => [screen.name, screen.download]));
    expect([...screens.keys()].sort()).toEqual(['Board', 'MyDay', 'OurTrips']);
    const paths = (name: string) => screens.get(name)?.files.map((file) => file.path).sort();
    const entryPaths = entry.files.map((file) => file.path);
    expect(paths('MyDay')).toEqual([...entryPaths, 'assets/MyDay-EEEEEEEE.js', 'assets/MyDay-FFFFFFFF.css',
      'assets/offline-HHHHHHHH.js'].sort());
    expect(paths('Board')).toEqual([...entryPaths, 'assets/Board-DDDDDDDD.js'].sort());
    expect(paths('OurTrips')).toEqual([...entryPaths, 'assets/OurTrips-GGGGGGGG.js'].sort());
    for (const download of screens.values()) {
      expect(download.unresolved).toEqual([]);
      expect(download.gzipBytes).toBeGreaterThan(entry.gzipBytes);
    }
  });

  test('a screen whose chunk is missing is reported as unresolved, so its check cannot pass', () => {
    rmSync(join(dist, 'assets/OurTrips-GGGGGGGG.js'));
    const ourTrips = screenDownloads(dist, 'index.html').find((screen) => screen.name === 'OurTrips');
    expect(ourTrips?.download.unresolved).toEqual(['/assets/OurTrips-GGGGGGGG.js']);
  });
});
