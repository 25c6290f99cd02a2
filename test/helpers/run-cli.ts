/**
 * The `restream` command run from source, for tests that need the server as a real process (signals,
 * kill -9): `node --import tsx test/helpers/run-cli.ts serve`. Same as bin/restream.js without a build.
 */
import { runCli } from '../../src/cli.js';

process.exitCode = await runCli(process.argv.slice(2));
