import { ConfigError, configHelp, loadConfig } from './config.js';
import { startServer } from './main.js';

const usage = `restream: one RTMP stream in from OBS, live on every platform at once.

Usage:
  restream serve [options]     run the server (RTMP ingest, outputs, API and dashboard)
  restream --help              this text

Options (flag, environment variable, meaning):
${configHelp()}
`;

/** Entry point of the `restream` command. */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (
    command === undefined ||
    command === '--help' ||
    command === '-h' ||
    command === 'help' ||
    rest.includes('--help')
  ) {
    process.stdout.write(usage);
    return 0;
  }
  if (command !== 'serve') {
    process.stderr.write(`restream: unknown command '${command}'\n\n${usage}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(rest);
  } catch (err) {
    if (
      err instanceof ConfigError ||
      (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      process.stderr.write(`restream: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const server = await startServer(config);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      server.logger.info({ signal }, 'shutting down: ending broadcasts on every platform');
      void server.stop().then(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return 0;
}
