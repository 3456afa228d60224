#!/usr/bin/env node
// The `spendguard` command (docs/api.md §15): plain ESM JavaScript, so it runs on Node 20 without a build step.
import { main } from '../src/cli.js';

process.exitCode = await main(process.argv, process.env);
