#!/usr/bin/env node
// `pnpm create ait-iap my-app` / `npm create ait-iap my-app` / `npx create-ait-iap my-app`. See ../README.md.
import { main } from '../src/cli.mjs';

process.exitCode = await main(process.argv.slice(2));
