import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/load-config.js';
import { BlocklistLoader, type BlocklistLog } from './blocklist-load.js';
import { MatchedIn, SiteBlocker } from './site-blocker.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-blocklist-load-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A list server on 127.0.0.1: it serves `body` with an ETag, or `status` when set, and records each request's headers. */
class ListServer {
  body = '0.0.0.0 ads.example\n';
  etag = '"v1"';
  status = 200;
  readonly requests: IncomingHttpHeaders[] = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      this.requests.push(request.headers);
      if (this.status !== 200) {
        response.writeHead(this.status).end();
        return;
      }
      if (request.headers['if-none-match'] === this.etag) {
        response.writeHead(304).end();
        return;
      }
      response.writeHead(200, { etag: this.etag, 'content-type': 'text/plain' }).end(this.body);
    });
  }

  listen(): Promise<string> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hosts.txt`)));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function configWith(url: string, extra = ''): ReturnType<typeof loadConfig>['config'] {
  const path = join(scratch, 'kapu.yaml');
  writeFileSync(path, `policy:\n  blocklists:\n    - { id: 5, name: remote, format: hosts, url: "${url}" }\n  blocklist:\n    timeout: 5s\n${extra}`);
  return loadConfig(path, []).config;
}

function blocks(loaded: Awaited<ReturnType<BlocklistLoader['load']>>, name: string): boolean {
  const blocker = new SiteBlocker(loaded.lists);
  const bytes = Buffer.from(name);
  return blocker.loadName(bytes, 0, bytes.length) && blocker.matchName(MatchedIn.DNS) !== null;
}

describe('blocklist download', () => {
  const server = new ListServer();
  let url = '';
  const logged: string[] = [];
  const log: BlocklistLog = (level, _fields, message) => logged.push(`${level}: ${message}`);
  const logDir = join(scratch, 'log');

  before(async () => {
    url = await server.listen();
  });
  after(() => server.close());

  it('conditional request on reload', async () => {
    const loader = new BlocklistLoader(configWith(url), null, logDir, log);
    const first = await loader.load();
    assert.deepEqual(first.outcomes.map((o) => [o.status, o.entries]), [['loaded', 1]]);
    assert.equal(blocks(first, 'x.ads.example'), true);
    assert.equal(server.requests[0]?.['if-none-match'], undefined);

    const second = await loader.load();
    assert.deepEqual(second.outcomes.map((o) => [o.status, o.entries]), [['loaded', 1]]);
    assert.equal(server.requests[1]?.['if-none-match'], '"v1"');
    assert.equal(blocks(second, 'ads.example'), true);
  });

  it('failed download keeps last list', async () => {
    const loader = new BlocklistLoader(configWith(url), null, logDir, log);
    await loader.load();
    server.status = 503;
    const loaded = await loader.load();
    server.status = 200;
    assert.equal(loaded.outcomes[0]?.status, 'kept');
    assert.match(loaded.outcomes[0]?.reason ?? '', /^download failed for http:\/\/127\.0\.0\.1:\d+\/hosts\.txt: HTTP 503/);
    assert.equal(blocks(loaded, 'ads.example'), true);
    assert.match(logged[logged.length - 1] ?? '', /^error: blocklist not loaded, the previous version stays in force: download failed/);
  });

  it('start falls back to the cache', async () => {
    server.status = 500;
    const loader = new BlocklistLoader(configWith(url), null, logDir, log);
    const loaded = await loader.load();
    server.status = 200;
    assert.equal(loaded.outcomes[0]?.status, 'loaded');
    assert.equal(blocks(loaded, 'ads.example'), true);
    assert.ok(logged.some((line) => line.startsWith('warn: blocklist download failed; using the cached copy')), logged.join('\n'));
  });

  it('invalid body not cached', async () => {
    const loader = new BlocklistLoader(configWith(url), null, logDir, log);
    await loader.load();
    server.body = 'ads.example\n';
    server.etag = '"v2"';
    const loaded = await loader.load();
    assert.equal(loaded.outcomes[0]?.status, 'kept');
    assert.match(loaded.outcomes[0]?.reason ?? '', /hosts\.txt:1: 'ads\.example' is not a hosts line/);
    // The next request still sends the validator of the last good body.
    server.body = '0.0.0.0 ads.example\n';
    server.etag = '"v1"';
    await loader.load();
    assert.equal(server.requests[server.requests.length - 1]?.['if-none-match'], '"v1"');
  });

  it('too many entries', async () => {
    server.body = '0.0.0.0 a.example b.example c.example\n';
    server.etag = '"v3"';
    const loader = new BlocklistLoader(configWith(url, '    max-entries: 2\n'), null, join(scratch, 'log-max'), log);
    const loaded = await loader.load();
    server.body = '0.0.0.0 ads.example\n';
    server.etag = '"v1"';
    assert.equal(loaded.outcomes[0]?.status, 'empty');
    assert.equal(loaded.outcomes[0]?.reason, '3 entries is more than policy.blocklist.max-entries (2) in list remote');
    assert.equal(loaded.lists.length, 0);
  });
});
