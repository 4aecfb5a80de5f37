/**
 * Customer-support CLI: `pnpm --filter @ait-iap/server ops <command>` (or `node dist/ops.js <command>` after a build).
 * It reads the SAME settings as the server (settings-files.ts: the environment, apps/server/.env, the root .env,
 * `pnpm dev`'s .dev/stack.env), so against a running `pnpm dev` it needs nothing set; its first line, on stderr, says
 * which environment, database and Toss it uses. Safe to run while the server runs (SQLite WAL; write transactions
 * wait their turn). Tables on a terminal; JSON with --json (or when piped). `ops --help`, `ops <command> --help`.
 * The commands themselves: commands.ts.
 */
import { parseArgs } from 'node:util';
import { OperatorError } from '../auth/operators';
import { systemClock } from '../clock';
import { ConfigError } from '../config';
import { databaseOptions, openDatabase } from '../db/database';
import { configureLogHashSecret, createLogger } from '../log';
import { describeSettings, loadSettingsConfig } from '../settings-files';
import { createTossClient } from '../toss/client';
import { type Command, type CommandContext, commands, type Output } from './commands';

const options = {
  reason: { type: 'string' },
  as: { type: 'string' },
  /** The older name of --as. */
  operator: { type: 'string' },
  user: { type: 'string' },
  apply: { type: 'boolean', default: false },
  since: { type: 'string' },
  sku: { type: 'string' },
  'since-minutes': { type: 'string' },
  last: { type: 'string' },
  orders: { type: 'boolean', default: false },
  role: { type: 'string' },
  json: { type: 'boolean', default: false },
  table: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function usage(): string {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length));
  const lines = Object.values(commands).map((c) =>
    c.usage.length > 60
      ? `  ${c.usage}\n      ${c.summary}`
      : `  ${c.usage.padEnd(Math.min(width, 60))}  ${c.summary}`,
  );
  return [
    'usage: ops <command> [options]   (pnpm --filter @ait-iap/server ops …, or node dist/ops.js …)',
    '',
    ...lines,
    '',
    'Every command: --json (the JSON documents scripts read; also when stdout is not a terminal), --table, --help.',
    'Changes are written to the audit log as your OS user, or --as <operator> (an approver account: ops operator add).',
    'Settings: the environment, apps/server/.env, .env, .dev/stack.env (pnpm dev) — the first line on stderr says which.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return `usage: ops ${command.usage}\n\n${command.summary}.\nOptions: --json | --table, --help.`;
}

function output(json: boolean): Output {
  return {
    json,
    print: (value, human) => console.log(json ? JSON.stringify(value, null, 2) : human()),
    error: (message) => console.error(message),
  };
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options });
  const [name, ...args] = positionals;
  const command = name ? commands[name] : undefined;
  if (!name) {
    // `ops --help` is an answer; a bare `ops` is a usage error.
    (values.help ? console.log : console.error)(usage());
    return values.help ? 0 : 1;
  }
  if (command && values.help) {
    console.log(commandHelp(command));
    return 0;
  }
  if (!command) {
    console.error(`unknown command ${name}\n\n${usage()}`);
    return 1;
  }
  const { config, settings } = loadSettingsConfig();
  for (const note of settings.notes) console.error(note);
  console.error(describeSettings('ops', config, settings));
  const clock = systemClock;
  const log = createLogger({
    level: config.logLevel === 'debug' ? 'debug' : 'warn',
    clock,
    sink: (l) => console.error(l),
  });
  configureLogHashSecret(config.logHashSecret, log);
  const database = await openDatabase(databaseOptions(config));
  const mtls = config.toss.mtls;
  const toss = createTossClient({
    baseUrl: config.toss.baseUrl,
    ...(mtls ? { cert: mtls.cert, key: mtls.key, ...(mtls.ca ? { ca: mtls.ca } : {}) } : {}),
    clock,
    timeoutMs: config.toss.timeoutMs,
    retries: config.toss.retries,
    totalTimeoutMs: config.toss.totalTimeoutMs,
  });
  const json = values.json || (!values.table && !process.stdout.isTTY);
  const ctx: CommandContext = {
    deps: { database, toss, clock, log, config },
    args,
    options: { ...values, as: values.as ?? values.operator },
    out: output(json),
  };
  try {
    return await command.run(ctx);
  } finally {
    toss.close();
    await database.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const known =
      error instanceof ConfigError ||
      error instanceof OperatorError ||
      (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    console.error(
      known || !(error instanceof Error)
        ? error instanceof Error
          ? error.message
          : error
        : (error.stack ?? error.message),
    );
    process.exitCode = 1;
  },
);
