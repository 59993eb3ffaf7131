import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar } from 'tar';
import { runRulesUpdate, type RulesUpdateCommandOptions } from '../cli/rules-update-command.js';
import { ControlSocketServer } from '../cli/control-socket.js';
import { loadConfig } from '../config/load-config.js';
import { ConfigError } from '../core/errors.js';

/** Files of the first archive. emerging-deleted.rules is left out by rules-update.ignore. */
const ARCHIVE_V1: Record<string, string> = {
  'rules/emerging-a.rules': [
    'alert tcp any any -> any 80 (msg:"A1"; sid:2000001; rev:1;)',
    'alert tcp any any -> any 81 (msg:"A2"; sid:2000002; rev:1;)',
    '#alert tcp any any -> any 82 (msg:"A3 off"; sid:2000003; rev:1;)',
    '',
  ].join('\n'),
  'rules/emerging-b.rules': [
    'alert udp any any -> any 53 (msg:"B1"; classtype:trojan-activity; sid:2000010; rev:1;)',
    'alert tcp any any -> any 84 (msg:"B2"; sid:2000011; rev:1; nosuchkeyword;)',
    '',
  ].join('\n'),
  'rules/emerging-deleted.rules': 'alert tcp any any -> any 99 (msg:"deleted"; sid:2999999; rev:1;)\n',
  'rules/classification.config': 'config classification: trojan-activity,A Network Trojan was detected,1\n',
};

/**
 * The second archive: 2000001 has a new rev (changed), 2000002 is gone
 * (removed), 2000003 is switched on (changed), 2000012 and 2000020 are new
 * (added); 2000010 and 2000011 stay as they were.
 */
const ARCHIVE_V2: Record<string, string> = {
  'rules/emerging-a.rules': [
    'alert tcp any any -> any 80 (msg:"A1 v2"; sid:2000001; rev:2;)',
    'alert tcp any any -> any 82 (msg:"A3 off"; sid:2000003; rev:1;)',
    '',
  ].join('\n'),
  'rules/emerging-b.rules': [
    'alert udp any any -> any 53 (msg:"B1"; classtype:trojan-activity; sid:2000010; rev:1;)',
    'alert tcp any any -> any 84 (msg:"B2"; sid:2000011; rev:1; nosuchkeyword;)',
    'alert tcp any any -> any 85 (msg:"B3"; sid:2000012; rev:1;)',
    '',
  ].join('\n'),
  'rules/emerging-c.rules': 'alert tcp any any -> any 86 (msg:"C1"; sid:2000020; rev:1;)\n',
};

/** The merged ruleset of ARCHIVE_V1 with the test policy (2000002 disabled, trojan-activity set to drop). */
const MERGED_V1_RULES = [
  '# kapu-group: emerging-a.rules',
  'alert tcp any any -> any 80 (msg:"A1"; sid:2000001; rev:1;)',
  '# alert tcp any any -> any 81 (msg:"A2"; sid:2000002; rev:1;)',
  '# alert tcp any any -> any 82 (msg:"A3 off"; sid:2000003; rev:1;)',
  '# kapu-group: emerging-b.rules',
  'drop udp any any -> any 53 (msg:"B1"; classtype:trojan-activity; sid:2000010; rev:1;)',
  'alert tcp any any -> any 84 (msg:"B2"; sid:2000011; rev:1; nosuchkeyword;)',
];

/** Builds a .tar.gz of `files` in memory with the tar package. */
async function buildArchive(files: Record<string, string>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-archive-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  const chunks: Buffer[] = [];
  const stream = createTar({ gzip: true, cwd: dir, portable: true }, ['rules']);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  rmSync(dir, { recursive: true });
  return Buffer.concat(chunks);
}

interface RequestLog {
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
}

/** A rule server on 127.0.0.1 that returns 304 to a request with the current ETag. */
class RuleServer {
  archive: Buffer = Buffer.alloc(0);
  /** Digest that /et.tar.gz.md5 returns; the archive's own MD5 when null. */
  md5Override: string | null = null;
  /** Further paths: a body to return, or null for a request that never gets a response. */
  readonly extra = new Map<string, string | Buffer | null>();
  readonly requests: RequestLog[] = [];
  port = 0;
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const etag = `"${createHash('md5').update(this.archive).digest('hex')}"`;
      let status = 404;
      if (req.url === '/et.tar.gz') {
        if (req.headers['if-none-match'] === etag) {
          status = 304;
          res.writeHead(304, { etag });
          res.end();
        } else {
          status = 200;
          res.writeHead(200, { etag, 'content-type': 'application/gzip', 'content-length': this.archive.length, 'last-modified': 'Sat, 05 Dec 2026 01:00:00 GMT' });
          res.end(this.archive);
        }
      } else if (req.url === '/et.tar.gz.md5') {
        status = 200;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`${this.md5Override ?? createHash('md5').update(this.archive).digest('hex')}  et.tar.gz\n`);
      } else if (this.extra.has(req.url ?? '')) {
        const body = this.extra.get(req.url ?? '') ?? null;
        // A null body leaves the request hanging until the client gives up.
        if (body === null) return;
        status = 200;
        res.writeHead(200, { 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } else {
        res.writeHead(404);
        res.end();
      }
      this.requests.push({ path: req.url ?? '', headers: req.headers, status });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/et.tar.gz`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolveListen) => this.server.listen(0, '127.0.0.1', () => resolveListen()));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
  }
}

/** A sink that keeps what is written. */
class Collector {
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

interface Workspace {
  dir: string;
  configPath: string;
  output: string;
}

/** Writes a config whose source is `source` (a YAML list item) into a new folder. */
function makeWorkspace(source: string): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'kapu-update-'));
  const configPath = join(dir, 'kapu.yaml');
  writeFileSync(configPath, [
    `default-rule-path: ${dir}/rules`,
    'rule-files: [kapu.rules]',
    'unix-command:',
    `  filename: ${dir}/kapu-command.socket`,
    'rules-update:',
    '  sources:',
    `    - ${source}`,
    '  timeout: 5',
    'policy:',
    '  disable:',
    '    - 2000002',
    '  drop:',
    '    - classtype:trojan-activity',
    '',
  ].join('\n'));
  return { dir, configPath, output: join(dir, 'rules', 'kapu.rules') };
}

async function update(ws: Workspace, extra: Partial<RulesUpdateCommandOptions> = {}): Promise<{ status: number; out: string; err: string }> {
  const out = new Collector();
  const err = new Collector();
  const status = await runRulesUpdate({
    configPath: ws.configPath,
    sets: [],
    sources: [],
    isChecksumChecked: false,
    output: null,
    cacheDir: null,
    timeoutS: null,
    isReloadWanted: true,
    socket: null,
    logDir: null,
    ...extra,
  }, out, err);
  return { status, out: out.text, err: err.text };
}

function reportLine(report: string, prefix: string): string {
  return report.split('\n').find((line) => line.startsWith(prefix)) ?? `(no line starting '${prefix}')`;
}

test('first download writes merged rules', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const ws = makeWorkspace(server.url);
    const run = await update(ws);
    assert.equal(run.status, 0, run.err);
    assert.equal(run.err, '');

    const written = readFileSync(ws.output, 'utf8').split('\n');
    assert.deepEqual(written.slice(3, -1), MERGED_V1_RULES);
    assert.match(written[2], /^# kapu-filters: [0-9a-f]{16}$/);

    assert.equal(reportLine(run.out, 'source 1:'), `source 1: ${server.url}: downloaded, 2 files, 5 rules kept`);
    assert.equal(reportLine(run.out, 'rules:'), 'rules: 5 (3 enabled, 2 disabled)');
    assert.equal(reportLine(run.out, 'filters:'), 'filters: 1 disabled, 0 enabled, 1 set to drop, 0 modified');
    assert.equal(reportLine(run.out, 'added:'), 'added: 5 (1:2000001, 1:2000002, 1:2000003, 1:2000010, 1:2000011)');
    assert.equal(reportLine(run.out, 'removed:'), 'removed: 0');
    assert.equal(reportLine(run.out, 'changed:'), 'changed: 0');
    assert.equal(reportLine(run.out, 'load check:'), 'load check: 2 loaded, 1 failed, 2 commented out');
    // Line 10 of the written file (three header lines, then MERGED_V1_RULES), column 60.
    assert.equal(reportLine(run.out, '  /'), `  ${ws.output}:10:60: error: unknown keyword 'nosuchkeyword' [KAPU_ERR_RULE_UNKNOWN_KEYWORD] sid:2000011`);
    assert.match(reportLine(run.out, 'reload:'), /^reload: no kapu listens on .*kapu-command\.socket \(ENOENT\)/);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].headers['if-none-match'], undefined);
  } finally {
    await server.stop();
  }
});

test('unchanged source answers 304', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const ws = makeWorkspace(server.url);
    assert.equal((await update(ws)).status, 0);
    const before = statSync(ws.output);
    const content = readFileSync(ws.output, 'utf8');

    const run = await update(ws);
    assert.equal(run.status, 0, run.err);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[1].headers['if-none-match'], `"${createHash('md5').update(server.archive).digest('hex')}"`);
    assert.equal(server.requests[1].headers['if-modified-since'], 'Sat, 05 Dec 2026 01:00:00 GMT');
    assert.equal(server.requests[1].status, 304);
    assert.equal(reportLine(run.out, 'source 1:'), `source 1: ${server.url}: not modified (304), cached copy used, 2 files, 5 rules kept`);
    assert.equal(reportLine(run.out, 'unchanged:'), `unchanged: ${ws.output} already holds this ruleset and is not rewritten`);
    assert.equal(reportLine(run.out, 'reload:'), "(no line starting 'reload:')");
    const after = statSync(ws.output);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(readFileSync(ws.output, 'utf8'), content);
  } finally {
    await server.stop();
  }
});

test('changed archive reports added, removed, changed', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const ws = makeWorkspace(server.url);
    assert.equal((await update(ws)).status, 0);
    server.archive = await buildArchive(ARCHIVE_V2);

    const run = await update(ws);
    assert.equal(run.status, 0, run.err);
    assert.equal(server.requests[1].status, 200);
    assert.equal(reportLine(run.out, 'source 1:'), `source 1: ${server.url}: downloaded, 3 files, 6 rules kept`);
    assert.equal(reportLine(run.out, 'rules:'), 'rules: 6 (6 enabled, 0 disabled)');
    assert.equal(reportLine(run.out, 'added:'), 'added: 2 (1:2000012, 1:2000020)');
    assert.equal(reportLine(run.out, 'removed:'), 'removed: 1 (1:2000002)');
    assert.equal(reportLine(run.out, 'changed:'), 'changed: 2 (1:2000001, 1:2000003)');
    assert.equal(reportLine(run.out, 'load check:'), 'load check: 5 loaded, 1 failed, 0 commented out');
    const written = readFileSync(ws.output, 'utf8');
    assert.ok(written.includes('\nalert tcp any any -> any 80 (msg:"A1 v2"; sid:2000001; rev:2;)\n'));
    assert.ok(!written.includes('sid:2000002;'));
  } finally {
    await server.stop();
  }
});

test('truncated archive keeps old rules', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const ws = makeWorkspace(server.url);
    assert.equal((await update(ws)).status, 0);
    const content = readFileSync(ws.output, 'utf8');
    const firstEtag = `"${createHash('md5').update(server.archive).digest('hex')}"`;

    const whole = await buildArchive(ARCHIVE_V2);
    server.archive = whole.subarray(0, whole.length - 40);
    const run = await update(ws);
    assert.equal(run.status, 1);
    assert.equal(run.out, '');
    assert.equal(run.err, `kapu rules update: source '${server.url}' failed: broken archive: zlib: unexpected end of file; the current ruleset is left as it is [KAPU_ERR_UPDATE_SOURCE_FAILED]\n`);
    assert.equal(readFileSync(ws.output, 'utf8'), content);

    // The broken body was not cached: the next request still names the first archive's ETag.
    const again = await update(ws);
    assert.equal(again.status, 1);
    assert.equal(server.requests[1].headers['if-none-match'], firstEtag);
    assert.equal(server.requests[2].headers['if-none-match'], firstEtag);
  } finally {
    await server.stop();
  }
});

test('server down keeps old rules', async () => {
  const server = new RuleServer();
  await server.start();
  server.archive = await buildArchive(ARCHIVE_V1);
  const ws = makeWorkspace(server.url);
  assert.equal((await update(ws)).status, 0);
  const content = readFileSync(ws.output, 'utf8');
  await server.stop();

  const run = await update(ws);
  assert.equal(run.status, 1);
  assert.equal(run.err, `kapu rules update: source '${server.url}' failed: connection refused (ECONNREFUSED); the current ruleset is left as it is [KAPU_ERR_UPDATE_SOURCE_FAILED]\n`);
  assert.equal(readFileSync(ws.output, 'utf8'), content);
});

test('checksum mismatch keeps old rules', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const ws = makeWorkspace(`{ url: "${server.url}", checksum: yes }`);
    const first = await update(ws);
    assert.equal(first.status, 0, first.err);
    assert.deepEqual(server.requests.map((r) => r.path), ['/et.tar.gz', '/et.tar.gz.md5']);
    const content = readFileSync(ws.output, 'utf8');

    server.archive = await buildArchive(ARCHIVE_V2);
    server.md5Override = '0123456789abcdef0123456789abcdef';
    const actual = createHash('md5').update(server.archive).digest('hex');
    const run = await update(ws);
    assert.equal(run.status, 1);
    assert.equal(run.err, `kapu rules update: source '${server.url}' failed: checksum mismatch: MD5 of the download is ${actual}, ${server.url}.md5 gives 0123456789abcdef0123456789abcdef; the current ruleset is left as it is [KAPU_ERR_UPDATE_SOURCE_FAILED]\n`);
    assert.equal(readFileSync(ws.output, 'utf8'), content);
  } finally {
    await server.stop();
  }
});

test('later source replaces duplicate sid', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const ws = makeWorkspace(server.url);
    const local = join(ws.dir, 'local');
    mkdirSync(local);
    writeFileSync(join(local, 'local.rules'), '\nalert tcp any any -> any 8080 (msg:"local A1"; sid:2000001; rev:1;)\n');
    const run = await update(ws, { sources: [server.url, local], isReloadWanted: false });
    assert.equal(run.status, 0, run.err);
    assert.equal(reportLine(run.out, 'duplicate'), 'duplicate 1:2000001: source 2, local.rules:2 replaces source 1, rules/emerging-a.rules:1');
    assert.equal(reportLine(run.out, 'source 1:'), `source 1: ${server.url}: downloaded, 2 files, 4 rules kept`);
    assert.equal(reportLine(run.out, 'source 2:'), `source 2: ${local}: read, 1 file, 1 rule kept`);
    assert.equal(reportLine(run.out, 'reload:'), 'reload: skipped (--no-reload)');
    const written = readFileSync(ws.output, 'utf8');
    assert.ok(written.endsWith('# kapu-group: local.rules\nalert tcp any any -> any 8080 (msg:"local A1"; sid:2000001; rev:1;)\n'));
  } finally {
    await server.stop();
  }
});

test('changed ruleset asks kapu to reload', async () => {
  const server = new RuleServer();
  await server.start();
  const ws = makeWorkspace(server.url);
  const commands: string[] = [];
  const control = await ControlSocketServer.listen(join(ws.dir, 'kapu-command.socket'), async (command) => {
    commands.push(command);
    return { return: 'OK', message: { loaded: 4, failed: 1 } };
  });
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const run = await update(ws);
    assert.equal(run.status, 0, run.err);
    assert.deepEqual(commands, ['reload-rules']);
    assert.equal(reportLine(run.out, 'reload:'), 'reload: kapu reloaded its rules {"loaded":4,"failed":1}');

    // Unchanged: no reload.
    await update(ws);
    assert.deepEqual(commands, ['reload-rules']);
  } finally {
    await control.close();
    await server.stop();
  }
});

test('reload refused by kapu fails', async () => {
  const server = new RuleServer();
  await server.start();
  const ws = makeWorkspace(server.url);
  const control = await ControlSocketServer.listen(join(ws.dir, 'kapu-command.socket'), async () => ({ return: 'NOK', message: 'rule reload failed, the old rules stay: test' }));
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const run = await update(ws);
    assert.equal(run.status, 1);
    assert.equal(run.err, 'kapu rules update: the running kapu did not reload: rule reload failed, the old rules stay: test\n');
    assert.ok(run.out.includes('written: '));
  } finally {
    await control.close();
    await server.stop();
  }
});

test('download over size limit fails', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    const ws = makeWorkspace(server.url);
    const run = await update(ws, { sets: ['rules-update.max-download-size=100'] });
    assert.equal(run.status, 1);
    assert.equal(run.err, `kapu rules update: source '${server.url}' failed: body of ${server.archive.length} bytes is larger than the limit of 100 bytes; the current ruleset is left as it is [KAPU_ERR_UPDATE_SOURCE_FAILED]\n`);
  } finally {
    await server.stop();
  }
});

test('no source is a usage error', async () => {
  const ws = makeWorkspace('x');
  writeFileSync(ws.configPath, 'rules-update:\n  timeout: 5\n');
  const run = await update(ws);
  assert.equal(run.status, 2);
  assert.equal(run.err, 'kapu rules update: no source: list them in rules-update.sources of the config, or give --source URL or --source PATH\n');
});

test('slow server times out', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.extra.set('/slow.tar.gz', null);
    const ws = makeWorkspace(server.url);
    const slow = `http://127.0.0.1:${server.port}/slow.tar.gz`;
    const started = Date.now();
    const run = await update(ws, { sources: [slow], timeoutS: 0.3 });
    assert.equal(run.status, 1);
    assert.equal(run.err, `kapu rules update: source '${slow}' failed: timed out after 0.3 s; the current ruleset is left as it is [KAPU_ERR_UPDATE_SOURCE_FAILED]\n`);
    assert.ok(Date.now() - started < 5000);
  } finally {
    await server.stop();
  }
});

test('HTTP error status fails source', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    const ws = makeWorkspace(server.url);
    const missing = `http://127.0.0.1:${server.port}/missing.tar.gz`;
    const run = await update(ws, { sources: [missing] });
    assert.equal(run.status, 1);
    assert.equal(run.err, `kapu rules update: source '${missing}' failed: HTTP 404 Not Found; the current ruleset is left as it is [KAPU_ERR_UPDATE_SOURCE_FAILED]\n`);
  } finally {
    await server.stop();
  }
});

test('local archive and plain rules URL', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.extra.set('/local.rules', 'alert tcp any any -> any 90 (msg:"plain"; sid:3000001; rev:1;)\n');
    const ws = makeWorkspace(server.url);
    const archive = join(ws.dir, 'mirror.tar.gz');
    writeFileSync(archive, await buildArchive(ARCHIVE_V1));
    const plain = `http://127.0.0.1:${server.port}/local.rules`;
    const run = await update(ws, { sources: [archive, plain], isReloadWanted: false });
    assert.equal(run.status, 0, run.err);
    assert.equal(reportLine(run.out, 'source 1:'), `source 1: ${archive}: read, 2 files, 5 rules kept`);
    assert.equal(reportLine(run.out, 'source 2:'), `source 2: ${plain}: downloaded, 1 file, 1 rule kept`);
    assert.equal(reportLine(run.out, 'rules:'), 'rules: 6 (4 enabled, 2 disabled)');
    assert.ok(readFileSync(ws.output, 'utf8').endsWith('# kapu-group: local.rules\nalert tcp any any -> any 90 (msg:"plain"; sid:3000001; rev:1;)\n'));
  } finally {
    await server.stop();
  }
});

test('sha256 checksum file accepted', async () => {
  const server = new RuleServer();
  await server.start();
  try {
    server.archive = await buildArchive(ARCHIVE_V1);
    server.extra.set('/et.sha256', `${createHash('sha256').update(server.archive).digest('hex')}\n`);
    const ws = makeWorkspace(`{ url: "${server.url}", checksum: "http://127.0.0.1:${server.port}/et.sha256" }`);
    const run = await update(ws, { isReloadWanted: false });
    assert.equal(run.status, 0, run.err);
    assert.deepEqual(server.requests.map((r) => r.path), ['/et.tar.gz', '/et.sha256']);
    assert.equal(reportLine(run.out, 'rules:'), 'rules: 5 (3 enabled, 2 disabled)');
  } finally {
    await server.stop();
  }
});

test('bad source entry names its index', async () => {
  const ws = makeWorkspace('x');
  writeFileSync(ws.configPath, 'rules-update:\n  sources:\n    - /etc/kapu/local.rules\n    - ftp://example.org/x.rules\n    - { path: /a, checksum: yes }\n');
  assert.throws(() => loadConfig(ws.configPath, []), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems, [
      "kapu.yaml:4: rules-update.sources[1]: 'ftp://example.org/x.rules': only http:// and https:// URLs are supported (or a local path)",
      "kapu.yaml:5: rules-update.sources[2]: '/a': checksum applies to URL sources only",
    ]);
    return true;
  });
});
