#!/usr/bin/env node
// The `restream` command: runs the built server (npm run build, or npm start, builds it).
import { preferJemalloc } from '../dist/allocator.js';

// Before anything else is loaded: the server re-executes itself with jemalloc where it is installed.
if (process.argv[2] === 'serve') preferJemalloc();
const { runCli } = await import('../dist/cli.js');
process.exitCode = await runCli(process.argv.slice(2));
