#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT } from '../errors.js';
import { configCheck, configSchemaCommand, configShow } from './commands/config.js';
import { fimCompare, fimDigest, fimHistory, fimInit, fimVerify } from './commands/fim.js';
import { logtest } from './commands/logtest.js';
import { scan } from './commands/scan.js';
import { listsAdd, listsRemove, listsShow } from './commands/lists.js';
import { rulesCheck, rulesTest, rulesList } from './commands/rules.js';
import { search } from './commands/search.js';
import { start } from './commands/start.js';
import { status } from './commands/status.js';
import {
  anomalyExport,
  anomalyReplay,
  anomalyReport,
  anomalyReset,
  anomalyShow,
} from './commands/anomaly.js';
import { reportError, type GlobalOptions } from './context.js';

const FORMATS = ['auto', 'syslog', 'json', 'auditd', 'apache', 'nginx', 'plain'];
/** More threads than this only contend: the correlating thread is the limit. */
const MAX_THREADS = 16;

/** `--threads`: a whole number from 1 to MAX_THREADS. */
function threadCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_THREADS) {
    throw new InvalidArgumentError(`a whole number from 1 to ${MAX_THREADS}`);
  }
  return n;
}

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
    // Set before the commands are added, so they inherit it: a bad option
    // value of a command is a usage error (exit 2) like an unknown command.
    .exitOverride()
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
    .addOption(
      new Option(
        '--threads <n>',
        'threads for a scan of files: 1 = one thread; N = N-1 workers decode and match while the main thread correlates (default: 1 + the cores, at most 4, for 64 MiB of input or more, else 1)',
      ).argParser(threadCount),
    )
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
  rules
    .command('test')
    .description(
      'run the samples of *.tests.yml beside rule files (default: every configured rule); exit 1 on a failure',
    )
    .argument('[paths...]', 'rule or tests files, or directories')
    .option('-v, --verbose', 'list passing tests too')
    .action((paths: string[], o: { verbose?: boolean }, cmd: Command) =>
      run(rulesTest(paths, { ...globals(cmd), ...o })),
    );

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

  const fim = program
    .command('fim')
    .description('file integrity: baseline, check, accept, history (see docs/reference/fim.md)');
  fim
    .command('init')
    .description('build the signed baseline of fim.paths, or of PATHs (default attributes)')
    .argument('[paths...]', 'files or directories; default: the configured policy')
    .action((paths: string[], _o, cmd: Command) => run(fimInit(paths, globals(cmd))));
  fim
    .command('check')
    .description('compare with the baseline; exit 1 while changes wait for review')
    .argument('[paths...]', 'only these files or directories')
    .option('--full', 're-hash every file, even with inode, size, mtime and ctime unchanged')
    .action((paths: string[], _o, cmd: Command) =>
      run(fimCompare('check', paths, globals(cmd) as never)),
    );
  fim
    .command('accept')
    .description('take the current state of reviewed changes into the baseline')
    .argument('[paths...]', 'only these files or directories')
    .option('--full', 're-hash every file')
    .action((paths: string[], _o, cmd: Command) =>
      run(fimCompare('accept', paths, globals(cmd) as never)),
    );
  fim
    .command('history')
    .description('every recorded change of a file')
    .argument('<path>', 'the file')
    .action((file: string, _o, cmd: Command) => run(fimHistory(file, globals(cmd))));
  fim
    .command('verify')
    .description("check the baseline's own integrity (signature, entry MACs); exit 1 on failure")
    .action((_o, cmd: Command) => run(fimVerify(globals(cmd))));
  fim
    .command('digest')
    .description('print one digest of the whole baseline (for peers to compare)')
    .action((_o, cmd: Command) => run(fimDigest(globals(cmd))));

  const anomaly = program
    .command('anomaly')
    .description('learned time-of-week baselines of metrics and their anomaly classes');
  anomaly
    .command('show')
    .description('each metric now: value, average and stddev of its slot, σ, trend, classes')
    .action((_o, cmd: Command) => run(anomalyShow(globals(cmd))));
  anomaly
    .command('report')
    .description('peaks of the last day and week, top sources per service, entropy')
    .action((_o, cmd: Command) => run(anomalyReport(globals(cmd))));
  anomaly
    .command('export')
    .description('the learned week of a metric as CSV or as an SVG chart with the ±σ band')
    .argument('<metric>', 'metric name (load.1m, port.ssh.in, …)')
    .option('--csv', 'slot,time,mean,stddev,last,count')
    .option('--svg', 'an SVG chart')
    .option('--host <name>', 'the host, when the metric is learned on several')
    .option('-o, --output <file>', 'write to FILE instead of stdout')
    .action((metric: string, _o, cmd: Command) =>
      run(anomalyExport(metric, globals(cmd) as never)),
    );
  anomaly
    .command('reset')
    .description('forget what was learned for a metric; exit 1 when there was nothing')
    .argument('<metric>', 'metric name')
    .option('--host <name>', 'only on this host')
    .action((metric: string, _o, cmd: Command) => run(anomalyReset(metric, globals(cmd) as never)));
  anomaly
    .command('replay')
    .description('run the online detector over a timestamp,value CSV (NAB format)')
    .argument('<file>', 'CSV with a timestamp,value header')
    .option('-o, --output <file>', 'write timestamp,value,anomaly_score to FILE (default stdout)')
    .action((file: string, _o, cmd: Command) => run(anomalyReplay(file, globals(cmd) as never)));

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

// A reader that stops early (`vigil search --json | head`) closes the pipe:
// that ends the output, it is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.OK);
  throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);
