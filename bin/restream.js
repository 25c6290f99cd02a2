#!/usr/bin/env node
// The `restream` command: runs the built server (npm run build, or npm start, builds it).
import { runCli } from '../dist/cli.js';

process.exitCode = await runCli(process.argv.slice(2));
