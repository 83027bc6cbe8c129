#!/usr/bin/env node
import { routes } from '../lambdas/api/routes';
import { createApp } from '../lib/app';
import { ensureConsoleBuilt } from '../local/console-build';

// The CLI passes cdk.json's context and every `-c key=value` to the App; see README.md (Deploy).
// The console the edge serves is built here when web/dist is missing or older than its sources,
// so `cdk deploy` always ships the console of this checkout (stdout belongs to the CLI).
createApp({
  routes,
  buildConsole: () => ensureConsoleBuilt({ print: (line) => console.error(line) }).distDir,
}).app.synth();
