/**
 * Entry point of the `kapu` command: parses the command line with commander
 * and runs the requested command. Exit status: 0 success, 1 runtime
 * failure, 2 bad arguments or config.
 */
import { availableParallelism } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, ErrorCode, KapuError, UsageError } from '../core/errors.js';
import type { RunOptions } from './run-options.js';
import { formatFirewallRules } from './firewall-rules.js';

/** Exit statuses of the kapu command. */
export const ExitStatus = {
  OK: 0,
  RUNTIME_FAILURE: 1,
  BAD_USAGE: 2,
} as const;

function collect(value: string, previous: string[]): string[] {
  return previous.concat([value]);
}

/** Builds the commander program; `result` receives the exit status of the chosen command. */
function buildProgram(result: { status: number }): Command {
  const program = new Command();
  program
    .name('kapu')
    .description('Intrusion prevention system: runs Suricata rules on traffic and writes EVE JSON')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('analyse a capture file (-r), live traffic on an interface (-i) or in-line traffic on NFQUEUE queues (-q), and write alerts and events to the log folder')
    .option('-r, --read <path>', 'capture file to read (pcap or pcapng), or a folder: every capture below it, in path order')
    .option('-i, --interface <name>', 'capture live on this interface (AF_PACKET, needs root and the native addon) until SIGTERM or SIGINT')
    .option('-q, --queue <num>', 'NFQUEUE queue number to run in-line on, 0 to 65535 (repeatable; needs root and the native addon); implies --mode ips', collect, [])
    .option('-c, --config <file>', 'configuration file (kapu.yaml or a suricata.yaml)')
    .option('-S, --rules <file>', 'rule file to load instead of the configured ones (repeatable)', collect, [])
    .option('-s, --add-rules <file>', 'rule file to load in addition to the configured ones (repeatable)', collect, [])
    .option('-l, --log-dir <dir>', 'folder for eve.json and fast.log (default: default-log-dir of the config, else the current folder)')
    .addOption(new Option('-k, --checksum <mode>', 'checksum validation: all or none (default: pcap-file.checksum-checks for -r, none for -i)').choices(['all', 'none']))
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
    .addOption(new Option('--mode <mode>', 'ids: alert only; ips: drop and reject rules block').choices(['ids', 'ips']))
    .option('--simulate-ips', 'same as --mode ips')
    .option('--workers <n>', 'worker threads that share the flows (a count, or auto for one per core; default 1)')
    .option('--quiet', 'print no warnings, rule diagnostics or summary')
    .action(async (flags: Record<string, unknown>) => {
      const options = runOptionsFromFlags(flags);
      const interfaceName = flags['interface'] as string | undefined;
      const queues = queuesFromFlags(flags);
      if (queues.length > 0) {
        const { runInline } = await import('./inline.js');
        await runInline({ ...options, queues });
      } else if (interfaceName !== undefined) {
        const { runLive } = await import('./run-live.js');
        await runLive({ ...options, interfaceName });
      } else {
        const { runCapture } = await import('./run.js');
        await runCapture(options);
      }
      result.status = ExitStatus.OK;
    });

  program
    .command('firewall-rules')
    .description('print the firewall rules that send traffic to kapu\'s NFQUEUE queues, in nftables and iptables-nft form')
    .option('-q, --queue <num>', 'queue number, 0 to 65535 (repeatable; default 0)', collect, [])
    .option('--iface <name>', 'queue only forwarded packets that enter or leave through this interface')
    .action((flags: Record<string, unknown>) => {
      const queues = queuesFromFlags(flags);
      process.stdout.write(formatFirewallRules({ queues: queues.length > 0 ? queues : [0], inInterface: (flags['iface'] as string | undefined) ?? null }));
      result.status = ExitStatus.OK;
    });

  program
    .command('reload')
    .description('ask a running kapu run -i or -q to reload its rules through its control socket (unix-command), as SIGUSR2 does, and print the answer; exit status 0 OK, 1 not reloaded, 2 socket not reachable')
    .option('--socket <path>', 'control socket to connect to (default: unix-command.filename of the config, in the log folder)')
    .option('-c, --config <file>', 'configuration of the running kapu, to find its socket')
    .option('-l, --log-dir <dir>', 'log folder of the running kapu, for a relative unix-command.filename')
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
    .action(async (flags: { socket?: string; config?: string; logDir?: string; set: string[] }) => {
      const { runReloadCommand, socketPathFromConfig } = await import('./control-socket.js');
      const path = flags.socket ?? socketPathFromConfig(flags.config ?? null, flags.set, flags.logDir ?? null);
      result.status = await runReloadCommand(path, process.stdout, process.stderr);
    });

  const quarantine = program.command('quarantine').description('list, add and release quarantined hosts: a quarantined address or prefix loses all traffic through this machine (nftables), except to and from the management addresses');
  const quarantineOptions = (command: Command): Command => command
    .option('-c, --config <file>', 'configuration whose policy section applies (never-block list, table, database)')
    .option('-l, --log-dir <dir>', 'log folder that holds the quarantine database (default: default-log-dir of the config)')
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, []);
  quarantineOptions(quarantine.command('list').description('print the active quarantines and rate limits: address, action, since, expires (time left) and reason'))
    .action(async (flags: { config?: string; logDir?: string; set: string[] }) => {
      const { runQuarantineList } = await import('./quarantine-command.js');
      result.status = runQuarantineList(flags);
    });
  quarantineOptions(quarantine.command('add').description('quarantine an address or prefix (ADDR or ADDR/LEN); needs root'))
    .argument('<address>', 'address or prefix, such as 198.51.100.7 or 2001:db8:1::/64')
    .option('--timeout <duration>', 'how long it lasts: seconds with an optional unit s, m, h or d (default: policy.quarantine.timeout, 1h)')
    .option('--reason <text>', 'why, shown by kapu quarantine list (default: manual)')
    .option('--force', 'quarantine an address on the never-block list anyway')
    .action(async (address: string, flags: { config?: string; logDir?: string; set: string[]; timeout?: string; reason?: string; force?: boolean }) => {
      const { runQuarantineAdd } = await import('./quarantine-command.js');
      result.status = await runQuarantineAdd(address, flags);
    });
  quarantineOptions(quarantine.command('release').description('end the quarantine of an address or prefix at once; needs root'))
    .argument('<address>', 'address or prefix as it was quarantined')
    .action(async (address: string, flags: { config?: string; logDir?: string; set: string[] }) => {
      const { runQuarantineRelease } = await import('./quarantine-command.js');
      result.status = await runQuarantineRelease(address, flags);
    });

  const baseline = program.command('baseline').description('learn and list the baselines of the anomaly stage (docs/config.md, Anomaly detection)');
  baseline
    .command('learn')
    .description('learn baselines from captures in capture time, raising no findings, and store them')
    .requiredOption('-r, --read <files...>', 'capture files to learn from, in order')
    .option('--db <path>', `baseline file (SQLite); default: anomaly.baseline.file, else baselines.db`)
    .option('-c, --config <file>', 'configuration whose anomaly section applies (home networks, groups, baseline settings)')
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
    .action(async (flags: { read: string[]; db?: string; config?: string; set: string[] }) => {
      const { runBaselineLearn } = await import('./baseline-command.js');
      result.status = await runBaselineLearn(flags.read, flags, process.stdout);
    });
  baseline
    .command('show')
    .description('print the stored baselines: entity, metric, slot, values learnt, mean, standard deviation, time span')
    .option('--db <path>', 'baseline file (SQLite); default: anomaly.baseline.file, else baselines.db')
    .option('-c, --config <file>', 'configuration that names anomaly.baseline.file')
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
    .action(async (flags: { db?: string; config?: string; set: string[] }) => {
      const { runBaselineShow } = await import('./baseline-command.js');
      result.status = runBaselineShow(flags, process.stdout);
    });

  program
    .command('explain')
    .description('explain from eve.json why kapu alerted on or dropped a flow or a packet: the rules that matched, the policy entry that applied and the action taken; exit status 0 found, 1 no event, 2 no file')
    .argument('<id>', 'flow_id of a flow, or pcap_cnt of a packet')
    .option('-l, --log-dir <dir>', 'log folder whose eve.json is read (default: the current folder)')
    .option('--eve <file>', 'EVE file to read instead of LOGDIR/eve.json')
    .action(async (id: string, flags: { logDir?: string; eve?: string }) => {
      const { runExplain } = await import('./explain-command.js');
      result.status = await runExplain({ id, logDir: flags.logDir ?? null, eve: flags.eve ?? null }, process.stdout);
    });

  const rules = program.command('rules').description('work with rule files');
  rules
    .command('check')
    .description('load rule files, report every rule that cannot run and print a summary')
    .argument('<files...>', 'rule files')
    .option('-c, --config <file>', 'configuration whose variables and classification-file apply')
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
    .action(async (files: string[], flags: { config?: string; set: string[] }) => {
      const { runRulesCheck } = await import('./rules-check-command.js');
      result.status = runRulesCheck(files, process.stdout, { configPath: flags.config ?? null, sets: flags.set });
    });

  const patches = program.command('patches').description('work with the catalog of virtual patches (docs/virtual-patches.md)');
  patches
    .command('list')
    .description('list the virtual patches: CVE, product, sids, enabled, file')
    .option('-c, --config <file>', 'configuration whose virtual-patches section applies')
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
    .action(async (flags: { config?: string; set: string[] }) => {
      const { runPatchesList } = await import('./patches-command.js');
      result.status = runPatchesList({ configPath: flags.config ?? null, sets: flags.set }, process.stdout);
    });
  patches
    .command('test')
    .description('run each patch in IPS mode over its captures and the benign corpus; exit status 1 when an attempt passes or normal traffic alerts')
    .argument('[cves...]', 'CVE ids to test (default: every patch)')
    .option('-c, --config <file>', 'configuration whose virtual-patches section applies')
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
    .option('--captures <dir>', 'folder with cve-YYYY-NNNN-attempts.pcap and -normal.pcap (default: the captures shipped with kapu)')
    .option('--corpus <dir>', 'shared corpus folder whose pcaps/benign is read (default: KAPU_CORPUS, else ../shared/corpus beside kapu)')
    .action(async (cves: string[], flags: { config?: string; set: string[]; captures?: string; corpus?: string }) => {
      const { runPatchesTest } = await import('./patches-command.js');
      result.status = await runPatchesTest(
        { configPath: flags.config ?? null, sets: flags.set, cves, capturesDir: flags.captures ?? null, corpusDir: flags.corpus ?? null },
        process.stdout,
      );
    });
  for (const [name, isEnabled] of [['enable', true], ['disable', false]] as const) {
    patches
      .command(name)
      .description(`${name} one patch in the state file; it takes effect when kapu starts or reloads its rules`)
      .argument('<cve>', 'CVE id of the patch')
      .option('-c, --config <file>', 'configuration whose virtual-patches section applies')
      .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
      .action(async (cve: string, flags: { config?: string; set: string[] }) => {
        const { runPatchesSetEnabled } = await import('./patches-command.js');
        result.status = runPatchesSetEnabled({ configPath: flags.config ?? null, sets: flags.set, cve, isEnabled }, process.stdout);
      });
  }
  rules
    .command('update')
    .description('download and read the rule sources (rules-update.sources or --source), merge them, apply the policy filters, write the merged ruleset and ask a running kapu to reload; exit status 0 done, 1 a source, the write or the reload failed, 2 no source or a bad config')
    .option('-c, --config <file>', 'configuration with the sources, the policy filters and the control socket')
    .option('--set <key=value>', 'override a configuration key (repeatable)', collect, [])
    .option('--source <url-or-path>', 'rule source: http(s) URL, rule file, folder or .tar.gz; replaces rules-update.sources (repeatable)', collect, [])
    .option('--checksum', 'check each --source URL against the MD5 digest in <url>.md5')
    .option('-o, --output <file>', 'merged ruleset to write (default: rules-update.output in default-rule-path)')
    .option('--cache-dir <dir>', 'folder for downloads and their ETag and Last-Modified (default: rules-update.cache-dir)')
    .option('--timeout <seconds>', 'seconds one download may take (default: rules-update.timeout, 60)')
    .option('--no-reload', 'do not ask a running kapu to reload')
    .option('--socket <path>', 'control socket of the running kapu (default: unix-command.filename of the config, in the log folder)')
    .option('-l, --log-dir <dir>', 'log folder of the running kapu, for a relative unix-command.filename')
    .action(async (flags: { config?: string; set: string[]; source: string[]; checksum?: boolean; output?: string; cacheDir?: string; timeout?: string; reload: boolean; socket?: string; logDir?: string }) => {
      const timeoutS = flags.timeout === undefined ? null : Number(flags.timeout);
      if (timeoutS !== null && !(timeoutS > 0)) throw new UsageError(`--timeout '${flags.timeout}' is not a number of seconds above 0`);
      const { runRulesUpdate } = await import('./rules-update-command.js');
      result.status = await runRulesUpdate({
        configPath: flags.config ?? null,
        sets: flags.set,
        sources: flags.source,
        isChecksumChecked: flags.checksum === true,
        output: flags.output ?? null,
        cacheDir: flags.cacheDir ?? null,
        timeoutS,
        isReloadWanted: flags.reload,
        socket: flags.socket ?? null,
        logDir: flags.logDir ?? null,
      }, process.stdout, process.stderr);
    });

  program
    .command('verify')
    .description('run suricata-verify style test folders (test.yaml) and compare the EVE output')
    .argument('<dirs...>', 'test folders, or folders holding them')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true);

  return program;
}

/** Parses the repeatable `-q` values; throws UsageError for one that is not a queue number. */
export function queuesFromFlags(flags: Record<string, unknown>): number[] {
  const values = (flags['queue'] as string[] | undefined) ?? [];
  const queues: number[] = [];
  for (const value of values) {
    const queue = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!(queue >= 0 && queue <= 65535)) throw new UsageError(`-q '${value}' is not a queue number (expected 0 to 65535)`);
    if (queues.includes(queue)) throw new UsageError(`-q ${queue} is given twice; give each queue once`);
    queues.push(queue);
  }
  return queues;
}

/**
 * Turns the `run` command's flags into RunOptions. With `-i` or `-q`
 * instead of `-r`, `pcapPath` is empty and the source stays in `flags`.
 */
/** Most worker threads `--workers` accepts. */
export const MAX_WORKERS = 64;

/** Resolves `--workers` (a count, or `auto` for one per core) to a count. */
export function parseWorkers(value: string): number {
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > MAX_WORKERS) {
    throw new UsageError(`--workers '${value}' is not valid; give a whole number from 1 to ${MAX_WORKERS}, or auto for one per core`);
  }
  return n;
}

export function runOptionsFromFlags(flags: Record<string, unknown>): RunOptions {
  const readPath = flags['read'] as string | undefined;
  const sources: string[] = [];
  if (readPath !== undefined) sources.push('-r (read a capture file)');
  if (flags['interface'] !== undefined) sources.push('-i (capture on an interface)');
  if (((flags['queue'] as string[] | undefined) ?? []).length > 0) sources.push('-q (run in-line on NFQUEUE)');
  if (sources.length > 1) {
    throw new UsageError(`${sources.slice(0, -1).join(', ')} and ${sources[sources.length - 1]} exclude each other; give one of them`);
  }
  if (sources.length === 0) {
    throw new UsageError('missing packet source: give a capture file with -r FILE, an interface with -i IFACE or an NFQUEUE queue with -q NUM');
  }
  const sets = flags['set'] as string[];
  for (const entry of sets) {
    if (!entry.includes('=')) throw new UsageError(`--set '${entry}' is not key=value (example: --set stream.midstream=true)`);
  }
  let mode: 'ids' | 'ips' | null = (flags['mode'] as 'ids' | 'ips' | undefined) ?? null;
  if (flags['simulateIps'] === true) {
    if (mode === 'ids') throw new UsageError('--simulate-ips contradicts --mode ids; give one of them');
    mode = 'ips';
  }
  const rules = flags['rules'] as string[];
  const workersFlag = flags['workers'] as string | undefined;
  return {
    workers: workersFlag === undefined ? 1 : parseWorkers(workersFlag),
    pcapPath: readPath ?? '',
    configPath: (flags['config'] as string | undefined) ?? null,
    ruleFiles: rules.length > 0 ? rules : null,
    extraRuleFiles: flags['addRules'] as string[],
    logDir: (flags['logDir'] as string | undefined) ?? null,
    checksumMode: (flags['checksum'] as 'all' | 'none' | undefined) ?? null,
    sets,
    mode,
    env: {},
    quiet: flags['quiet'] === true,
  };
}

/** Runs kapu with `argv` (without node and the script) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const result = { status: ExitStatus.OK as number };
  const program = buildProgram(result);
  try {
    // verify parses its own options (docs/verify.md).
    if (argv[0] === 'verify') {
      const { runVerifyCommand } = await import('./verify-command.js');
      return await runVerifyCommand(argv.slice(1));
    }
    await program.parseAsync(argv, { from: 'user' });
    return result.status;
  } catch (err) {
    return reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed the message (or the help/version text).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitStatus.OK;
    return ExitStatus.BAD_USAGE;
  }
  if (err instanceof ConfigError) {
    for (const problem of err.problems) process.stderr.write(`kapu: ${problem}\n`);
    return ExitStatus.BAD_USAGE;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`kapu: ${err.message}\n`);
    return ExitStatus.BAD_USAGE;
  }
  if (err instanceof KapuError) {
    process.stderr.write(`kapu: ${err.message} [${err.code}]\n`);
    const isUsage = err.code === ErrorCode.CONFIG_NOT_FOUND || err.code === ErrorCode.QUARANTINE_BAD_ADDRESS;
    return isUsage ? ExitStatus.BAD_USAGE : ExitStatus.RUNTIME_FAILURE;
  }
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`kapu: internal error: ${message}\n`);
  return ExitStatus.RUNTIME_FAILURE;
}
