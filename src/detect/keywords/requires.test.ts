// `requires` against Suricata 8.0.0, the version kapu follows. Expected
// outcomes follow Suricata's meta keyword documentation and the rules of
// the suricata-verify case requires-ok: blanks join comparisons, `|`
// separates alternatives, missing minor and patch numbers are 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDiagnostic } from '../diagnostics.js';
import { loadRulesFromText } from '../rule-files.js';
import { checkRequires, matchesVersionExpression } from './requires.js';

test('version expressions against 8.0.0', () => {
  const v8 = [8, 0, 0];
  assert.equal(matchesVersionExpression('>= 8', v8), true);
  assert.equal(matchesVersionExpression('>= 8.0.0', v8), true);
  assert.equal(matchesVersionExpression('>= 8.0.5', v8), false);
  assert.equal(matchesVersionExpression('>= 7 < 8', v8), false);
  assert.equal(matchesVersionExpression('>= 7.0.3 < 8 | >= 9.0.99', v8), false);
  assert.equal(matchesVersionExpression('>= 7.0.4 < 8 | >= 8.0.0', v8), true);
  assert.equal(matchesVersionExpression('= 8.0', v8), true);
  assert.equal(matchesVersionExpression('> 8', v8), false);
  assert.equal(matchesVersionExpression('<= 8.0.0', v8), true);
});

test('version expressions malformed', () => {
  assert.equal(matchesVersionExpression('8', [8, 0, 0]), null);
  assert.equal(matchesVersionExpression('>= 7<8', [8, 0, 0]), null);
  assert.equal(matchesVersionExpression('>= 8 |', [8, 0, 0]), null);
  assert.equal(matchesVersionExpression('>= eight', [8, 0, 0]), null);
});

test('requirements met and unmet', () => {
  assert.deepEqual(checkRequires('version >= 8.0.0, keyword sid'), { kind: 'met' });
  assert.deepEqual(checkRequires('version >= 8, keyword foobar'), { kind: 'unmet', reason: "keyword 'foobar' is not supported" });
  assert.deepEqual(checkRequires('feature geoip'), { kind: 'unmet', reason: "feature 'geoip' is not available" });
  assert.deepEqual(checkRequires('version >= 10'), {
    kind: 'unmet',
    reason: 'version >= 10 is not met by Suricata 8.0.0, which kapu follows',
  });
  assert.deepEqual(checkRequires('flavour vanilla'), { kind: 'unmet', reason: "requirement kind 'flavour' is unknown" });
  assert.deepEqual(checkRequires('version >= 9', [9, 0, 0]), { kind: 'met' });
});

test('requirements invalid', () => {
  assert.equal(checkRequires('version >= 7, version < 9').kind, 'invalid');
  assert.equal(checkRequires('version').kind, 'invalid');
  assert.equal(checkRequires('version 8').kind, 'invalid');
});

test('unmet rule is skipped with a warning', () => {
  const text = 'alert ip any any -> any any (msg:"later"; requires: version >= 10; sid:1;)';
  const loaded = loadRulesFromText(text, 'req.rules');
  assert.equal(loaded.signatures.length, 0);
  assert.equal(loaded.summary.skipped, 1);
  assert.equal(loaded.summary.failed, 0);
  assert.deepEqual(loaded.diagnostics.map(renderDiagnostic), [
    [
      'req.rules:1:53: warning: requires: version >= 10 is not met by Suricata 8.0.0, which kapu follows; rule skipped [KAPU_ERR_RULE_REQUIREMENT_NOT_MET] sid:1',
      '  alert ip any any -> any any (msg:"later"; requires: version >= 10; sid:1;)',
      '                                                      ^^^^^^^^^^^^^',
    ].join('\n'),
  ]);
});

test('unmet requires hides parse errors', () => {
  // Suricata reads requires first, so an unknown protocol, direction or
  // keyword elsewhere in the rule is not reported.
  const text = [
    'alert vxlan any any -> any any (requires: version >= 10; sid:1;)',
    'alert udp any any -> any any (vxlan_vni:10; requires: version >= 10; sid:2;)',
    'alert tcp any any => any any (requires: version >= 10; sid:3;)',
  ].join('\n');
  const loaded = loadRulesFromText(text, 'req.rules');
  assert.equal(loaded.summary.skipped, 3);
  assert.equal(loaded.summary.failed, 0);
  assert.deepEqual(loaded.diagnostics.map((d) => d.severity), ['warning', 'warning', 'warning']);
});

test('met requires loads the rule', () => {
  const loaded = loadRulesFromText('alert ip any any -> any any (requires: version >= 8; ttl:1; sid:1;)', 'req.rules');
  assert.deepEqual(loaded.diagnostics, []);
  assert.equal(loaded.signatures.length, 1);
  assert.equal(loaded.signatures[0].packetMatches.length, 1);
});

test('invalid requires fails the rule', () => {
  const loaded = loadRulesFromText('alert ip any any -> any any (requires: version >= 7, version < 9; sid:1;)', 'req.rules');
  assert.equal(loaded.signatures.length, 0);
  assert.equal(loaded.summary.failed, 1);
  assert.deepEqual(loaded.diagnostics.map((d) => d.message), [
    "requires: 'version' is given more than once (a rule takes one version requirement)",
  ]);
});

test('requires judged against given version', () => {
  const rules = [
    'alert tcp any any -> any any (requires: version >= 9.0.0; sid:1;)',
    'alert tcp any any -> any any (requires: version >= 8 < 9; sid:2;)',
    'alert tcp any any -> any any (requires: version >= 7.0.3 < 8 | >= 9.0.99; sid:3;)',
  ].join('\n');
  const followed = loadRulesFromText(rules, 'test.rules');
  assert.deepEqual(followed.signatures.map((s) => s.sid), [2]);
  const nine = loadRulesFromText(rules, 'test.rules', { requiresVersion: [9, 0, 0] });
  assert.deepEqual(nine.signatures.map((s) => s.sid), [1]);
  assert.equal(nine.summary.skipped, 2);
});
