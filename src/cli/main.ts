#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { EXIT } from '../errors.js';
import { configCheck, configSchemaCommand, configShow } from './commands/config.js';
import { logtest } from './commands/logtest.js';
import { scan } from './commands/scan.js';
import { listsAdd, listsRemove, listsShow } from './commands/lists.js';
import { rulesCheck, rulesList } from './commands/rules.js';
import { search } from './commands/search.js';
import { start } from './commands/start.js';
import { status } from './commands/status.js';
import { reportError, type GlobalOptions } from './context.js';

const FORMATS = ['auto', 'syslog', 'json', 'auditd', 'apache', 'nginx', 'plain'];

function build(run: (code: Promise<number>) => void): Command {
  const program = new Command('vigil')
    .description('vigil: security monitoring and intrusion detection')
    .version('0.1.0')
    .option(
      '-c, --config <file>',
      'config file (env VIGIL_CONFIG; default ./vigil.yml when present)',
    )
    .option('-d, --data-dir <dir>', 'data directory (env VIGIL_DATA_DIR; default ./vigil-data)')
    .option('--json', 'print JSON lines instead of text')
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 findings (alerts from scan, no search match, a logtest line with an error), 2 usage or config error, 3 runtime failure.',
    );
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals();

  program
    .command('start')
    .description('collect, decode and store events on this host until stopped (SIGINT/SIGTERM)')
    .action((_o, cmd: Command) => run(start(globals(cmd))));

  program
    .command('scan')
    .description('one-shot: decode files (or stdin with -) and print a summary')
    .argument('[files...]', 'files to read (.gz is decompressed); - or none for stdin')
    .addOption(new Option('--format <format>', 'record format').choices(FORMATS).default('auto'))
    .option('--events <file>', 'write every decoded event as JSON lines to FILE (- for stdout)')
    .option('--alerts <file>', 'write every alert as JSON lines to FILE (- for stdout)')
    .option('--no-rules', 'decode only; match no rules')
    .option('--store', 'also store the events and alerts in the data directory')
    .option('--errors', 'print every event that decoded with an error')
    .action((files: string[], _o, cmd: Command) => run(scan(files, globals(cmd) as never)));

  program
    .command('logtest')
    .description('decode one line (or each line of stdin) and show the event')
    .argument('[line]', 'the log line; read from stdin when absent')
    .addOption(new Option('--format <format>', 'record format').choices(FORMATS).default('auto'))
    .action((line: string | undefined, _o, cmd: Command) =>
      run(logtest(line, globals(cmd) as never)),
    );

  program
    .command('search')
    .description('search stored events: full text over messages plus field filters')
    .argument('[query...]', 'full-text query (words, "phrases", AND/OR/NOT, prefix*)')
    .option('--since <when>', 'only events since a duration ago (15m, 2h, 7d) or a date')
    .option('--until <when>', 'only events before a duration ago or a date')
    .option(
      '-f, --field <field=value>',
      'field filter, repeatable (source.ip=10.0.0.5, user.name=adm*)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('-n, --limit <n>', 'most events to print (newest)', '50')
    .option('--count', 'print only the number of matching events')
    .action((query: string[], _o, cmd: Command) => run(search(query, globals(cmd) as never)));

  program
    .command('status')
    .description('is vigil running, what it watches, counters, store size')
    .action((_o, cmd: Command) => run(status(globals(cmd))));

  const rules = program.command('rules').description('list and check detection rules');
  rules
    .command('list')
    .description('every configured rule: active, inactive (and why) or in error')
    .action((_o, cmd: Command) => run(rulesList(globals(cmd))));
  rules
    .command('check')
    .description('parse and compile rule files; exit 2 listing every problem')
    .argument('<files...>', 'rule files or directories')
    .action((files: string[], _o, cmd: Command) => run(rulesCheck(files, globals(cmd))));

  const lists = program
    .command('lists')
    .description('named lists that rules read with the inlist modifier')
    .argument('[name]', 'show only this list')
    .action((name: string | undefined, _o, cmd: Command) => run(listsShow(name, globals(cmd))));
  lists
    .command('add')
    .description('add live entries (a running vigil picks them up within seconds)')
    .argument('<name>', 'list name')
    .argument('<values...>', 'values: addresses, networks (10.0.0.0/8), names')
    .option('--ttl <duration>', 'expire the entries after this long (30m, 12h, 7d)')
    .action((name: string, values: string[], _o, cmd: Command) =>
      run(listsAdd(name, values, globals(cmd) as never)),
    );
  lists
    .command('remove')
    .description('remove live entries; exit 1 when none existed')
    .argument('<name>', 'list name')
    .argument('<values...>', 'values to remove')
    .action((name: string, values: string[], _o, cmd: Command) =>
      run(listsRemove(name, values, globals(cmd))),
    );

  const config = program.command('config').description('check or show the configuration');
  config
    .command('check')
    .description('validate the config file; exit 2 listing every problem')
    .action((_o, cmd: Command) => run(configCheck(globals(cmd))));
  config
    .command('show')
    .description('print the effective config with every default filled in')
    .action((_o, cmd: Command) => run(configShow(globals(cmd))));
  config
    .command('schema')
    .description('print the JSON Schema of vigil.yml (for editors)')
    .action(() => run(configSchemaCommand()));

  return program;
}

async function main(argv: string[]): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = build((p) => {
    pending = p;
  });
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return EXIT.OK;
      return EXIT.USAGE;
    }
    return reportError(err);
  }
  if (!pending) {
    program.outputHelp();
    return EXIT.USAGE;
  }
  try {
    return await pending;
  } catch (err) {
    return reportError(err);
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
