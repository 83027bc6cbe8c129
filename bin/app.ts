#!/usr/bin/env node
import { routes } from '../lambdas/api/routes';
import { createApp } from '../lib/app';

// The CLI passes cdk.json's context and every `-c key=value` to the App; see README.md (Deploy).
createApp({ routes }).app.synth();
