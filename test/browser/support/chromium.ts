import { existsSync } from 'node:fs';

/** Debian's `chromium` package (`.ci/run` installs it); Playwright never downloads a browser here. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH?.trim() || '/usr/bin/chromium';
}

export function assertChromiumInstalled(): void {
  const path = chromiumPath();
  if (!existsSync(path)) {
    throw new Error(`No Chromium at ${path}: install Debian's package (sudo apt-get install -y chromium, as .ci/run does) ` +
      'or set CHROMIUM_PATH to a Chromium or Chrome binary. Playwright cannot download its own browser here.');
  }
}
