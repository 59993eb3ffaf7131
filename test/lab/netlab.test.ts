import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const NETLAB = fileURLToPath(new URL('../../../scripts/netlab.sh', import.meta.url));
const STEP_TIMEOUT_MS = 20_000;

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (ip) not found';
  if (spawnSync('ping', ['-V']).status !== 0) return 'ping (iputils-ping) not found';
  if (spawnSync('iptables-nft', ['-V']).status !== 0) return 'iptables-nft (iptables) not found';
  return null;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: STEP_TIMEOUT_MS });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function labNamespaces(tag: string): string[] {
  return run(['ip', 'netns', 'list'])
    .stdout.split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name.startsWith(`${tag}-`))
    .sort();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('netlab setup, traffic and teardown', { skip: skipReason() ?? false, timeout: 60_000 }, async () => {
  const tag = `kt${process.pid}`;
  try {
    const setup = run([NETLAB, 'setup', tag]);
    assert.equal(setup.status, 0, setup.stderr);
    assert.equal(setup.stdout.trim(), tag);
    assert.deepEqual(labNamespaces(tag), [`${tag}-cli`, `${tag}-ips`, `${tag}-srv`]);

    // Both families cross the router: TTL and hop limit drop by one.
    const ping4 = run(['ip', 'netns', 'exec', `${tag}-cli`, 'ping', '-n', '-c', '1', '-W', '2', '203.0.113.2']);
    assert.equal(ping4.status, 0, ping4.stdout);
    assert.match(ping4.stdout, /ttl=63/);
    const ping6 = run(['ip', 'netns', 'exec', `${tag}-cli`, 'ping', '-n', '-6', '-c', '1', '-W', '3', '2001:db8:2::2']);
    assert.equal(ping6.status, 0, ping6.stdout);
    assert.match(ping6.stdout, /ttl=63/);

    // With bypass and no program bound to queue 0, packets still pass;
    // without bypass the kernel drops them.
    const queueOn = run([NETLAB, 'queue-on', tag, '0']);
    assert.equal(queueOn.status, 0, queueOn.stderr);
    const bypassed = run(['ip', 'netns', 'exec', `${tag}-cli`, 'ping', '-n', '-c', '1', '-W', '2', '203.0.113.2']);
    assert.equal(bypassed.status, 0, bypassed.stdout);
    assert.equal(run([NETLAB, 'queue-off', tag]).status, 0);
    assert.equal(run([NETLAB, 'queue-on', tag, '0', '--no-bypass']).status, 0);
    const blocked = run(['ip', 'netns', 'exec', `${tag}-cli`, 'ping', '-n', '-c', '1', '-W', '1', '203.0.113.2']);
    assert.equal(blocked.status, 1, blocked.stdout);
    assert.equal(run([NETLAB, 'queue-off', tag]).status, 0);

    const again = run([NETLAB, 'setup', tag]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, new RegExp(`namespace ${tag}-cli already exists`));

    // A process left inside a namespace would keep it alive after deletion.
    const sleeper = spawn('ip', ['netns', 'exec', `${tag}-srv`, 'sleep', '30'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sleeperPid = sleeper.pid as number;
    assert.equal(isAlive(sleeperPid), true);

    const teardown = run([NETLAB, 'teardown', tag]);
    assert.equal(teardown.status, 0, teardown.stderr);
    assert.deepEqual(labNamespaces(tag), []);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(sleeper.exitCode !== null || sleeper.signalCode !== null, true);
  } finally {
    run([NETLAB, 'teardown', tag]);
  }
});

test('netlab rejects an invalid tag', { skip: process.platform !== 'linux' ? 'needs Linux' : false }, () => {
  const result = run([NETLAB, 'teardown', 'bad/tag']);
  assert.equal(result.status, 1);
  assert.equal(result.stderr.trim(), "netlab: invalid tag 'bad/tag' (expected 1 to 32 letters, digits or _)");
});
