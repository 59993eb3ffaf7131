import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDiagnostic } from './diagnostics.js';
import { loadRulesFromText } from './rule-files.js';
import { DEFAULT_KEYWORDS } from './rule-parser.js';
import { Action, RuleDirection, type InspectionMatch, type KeywordDef } from './signature.js';

function check(text: string): string[] {
  const result = loadRulesFromText(text, 'rules/local.rules');
  return result.diagnostics.map((d) => renderDiagnostic(d));
}

test('dsize above maximum', () => {
  const rule = 'alert udp any any -> any 53 (msg:"big query"; dsize:>70000; sid:1000007;)';
  assert.deepEqual(check(rule), [
    [
      "rules/local.rules:1:53: error: dsize: '>70000' is above the maximum 65535 [KAPU_ERR_RULE_BAD_VALUE] sid:1000007",
      '  alert udp any any -> any 53 (msg:"big query"; dsize:>70000; sid:1000007;)',
      '                                                      ^^^^^^',
    ].join('\n'),
  ]);
});

test('unknown keyword reported', () => {
  const rule = 'alert tcp any any -> any any (msg:"x"; sidd:1; sid:5;)';
  assert.deepEqual(check(rule), [
    [
      "rules/local.rules:1:40: error: unknown keyword 'sidd' [KAPU_ERR_RULE_UNKNOWN_KEYWORD] sid:5",
      '  alert tcp any any -> any any (msg:"x"; sidd:1; sid:5;)',
      '                                         ^^^^',
    ].join('\n'),
  ]);
});

test('unsupported keyword reported once', () => {
  const rule = 'alert tcp any any -> any 445 (msg:"x"; smb.share; content:"a"; nocase; sid:6;)';
  assert.deepEqual(check(rule), [
    [
      "rules/local.rules:1:40: error: keyword 'smb.share' is not supported yet; rule skipped [KAPU_ERR_RULE_UNSUPPORTED] sid:6",
      '  alert tcp any any -> any 445 (msg:"x"; smb.share; content:"a"; nocase; sid:6;)',
      '                                         ^^^^^^^^^',
    ].join('\n'),
  ]);
});

test('unsupported app-layer protocol skipped', () => {
  const rule = 'alert smb any any -> any any (msg:"x"; smb.share; content:"a"; sid:7;)';
  assert.deepEqual(check(rule), [
    [
      "rules/local.rules:1:7: error: protocol 'smb' is not supported yet; rule skipped [KAPU_ERR_RULE_UNSUPPORTED] sid:7",
      '  alert smb any any -> any any (msg:"x"; smb.share; content:"a"; sid:7;)',
      '        ^^^',
    ].join('\n'),
  ]);
});

test('rule without sid', () => {
  const rule = 'alert tcp any any -> any any (msg:"x";)';
  assert.deepEqual(check(rule), [
    [
      "rules/local.rules:1:30: error: rule has no 'sid' option (every rule needs a unique sid) [KAPU_ERR_RULE_MISSING_OPTION]",
      '  alert tcp any any -> any any (msg:"x";)',
      '                               ^',
    ].join('\n'),
  ]);
});

test('continued line points at second line', () => {
  const text = ['# comment', 'alert tcp any any -> any any (msg:"x"; \\', '  ttl:300; sid:8;)'].join('\n');
  assert.deepEqual(check(text), [
    [
      "rules/local.rules:3:7: error: ttl: '300' is above the maximum 255 [KAPU_ERR_RULE_BAD_VALUE] sid:8",
      '    ttl:300; sid:8;)',
      '        ^^^',
    ].join('\n'),
  ]);
});

test('unknown address variable', () => {
  const rule = 'alert tcp $NOPE_NET any -> any any (sid:9;)';
  assert.deepEqual(check(rule), [
    [
      "rules/local.rules:1:11: error: source address: unknown address variable '$NOPE_NET' [KAPU_ERR_RULE_BAD_VARIABLE] sid:9",
      '  alert tcp $NOPE_NET any -> any any (sid:9;)',
      '            ^^^^^^^^^',
    ].join('\n'),
  ]);
});

test('unknown classtype warns', () => {
  const rule = 'alert ip any any -> any any (classtype:no-such-class; sid:10;)';
  const result = loadRulesFromText(rule, 'rules/local.rules');
  assert.equal(result.signatures.length, 1);
  assert.equal(result.signatures[0].priority, 3);
  assert.equal(result.signatures[0].category, '');
  const upper = loadRulesFromText('alert ip any any -> any any (classtype:"Trojan-Activity"; sid:11;)', 'rules/local.rules');
  assert.equal(upper.signatures[0].category, 'A Network Trojan was detected');
  assert.deepEqual(check(rule), [
    [
      "rules/local.rules:1:40: warning: classtype: 'no-such-class' is not defined in classification.config; the alert gets priority 3 and no category [KAPU_ERR_RULE_BAD_VALUE] sid:10",
      '  alert ip any any -> any any (classtype:no-such-class; sid:10;)',
      '                                         ^^^^^^^^^^^^^',
    ].join('\n'),
  ]);
});

test('bad direction and missing paren', () => {
  assert.deepEqual(check('alert tcp any any <- any any (sid:11;)'), [
    [
      "rules/local.rules:1:19: error: '<-' is not a direction (expected ->, <> or =>) [KAPU_ERR_RULE_SYNTAX] sid:11",
      '  alert tcp any any <- any any (sid:11;)',
      '                    ^^',
    ].join('\n'),
  ]);
  assert.deepEqual(check('alert tcp any any -> any any (sid:12;'), [
    [
      "rules/local.rules:1:37: error: missing ')' at the end of the rule [KAPU_ERR_RULE_SYNTAX] sid:12",
      '  alert tcp any any -> any any (sid:12;',
      '                                      ^',
    ].join('\n'),
  ]);
});

test('duplicate sid keeps higher rev', () => {
  const text = [
    'alert tcp any any -> any any (msg:"one"; sid:20; rev:2;)',
    'alert tcp any any -> any any (msg:"two"; sid:20; rev:1;)',
    'alert tcp any any -> any any (msg:"three"; sid:20; rev:3;)',
  ].join('\n');
  const result = loadRulesFromText(text, 'dup.rules');
  assert.equal(result.signatures.length, 1);
  assert.equal(result.signatures[0].msg, 'three');
  assert.equal(result.summary.failed, 2);
  assert.deepEqual(
    result.diagnostics.map((d) => renderDiagnostic(d).split('\n')[0]),
    [
      'dup.rules:2:1: error: duplicate signature gid:1 sid:20 rev:1; the one at dup.rules:1 (rev:2) is kept and this one skipped [KAPU_ERR_RULE_DUPLICATE_SID] sid:20',
      'dup.rules:1:1: error: duplicate signature gid:1 sid:20 rev:2; the one at dup.rules:3 (rev:3) is kept and this one skipped [KAPU_ERR_RULE_DUPLICATE_SID] sid:20',
    ],
  );
});

test('summary counts commented rules', () => {
  const text = [
    '# a plain comment',
    '#alert tcp any any -> any any (msg:"off"; sid:30;)',
    '# alert udp any any -> any any (msg:"off too"; sid:31;)',
    '',
    'alert tcp any any -> any any (msg:"on"; sid:32;)',
    'alert tcp any any -> any any (msg:"bad"; ttl:x; sid:33;)',
  ].join('\n');
  const result = loadRulesFromText(text, 'c.rules');
  assert.equal(result.summary.loaded, 1);
  assert.equal(result.summary.failed, 1);
  assert.equal(result.summary.commented, 2);
  assert.deepEqual(result.summary.failuresByReason, [{ reason: "'ttl': bad value", code: 'KAPU_ERR_RULE_BAD_VALUE', count: 1 }]);
});

test('signature fields from meta keywords', () => {
  const rule =
    'drop tcp $HOME_NET any <> $EXTERNAL_NET 80 (msg:"ET test \\"quoted\\" \\; semi"; flow:established,to_server; ' +
    'reference:url,example.com/a; classtype:trojan-activity; metadata:created_at 2024_01_01, signature_severity Major; ' +
    'target:dest_ip; gid:3; sid:40; rev:7;)';
  const result = loadRulesFromText(rule, 'm.rules');
  assert.deepEqual(result.diagnostics, []);
  const sig = result.signatures[0];
  assert.equal(sig.action, Action.DROP);
  assert.equal(sig.direction, RuleDirection.BOTH);
  assert.equal(sig.msg, 'ET test "quoted" ; semi');
  assert.equal(sig.gid, 3);
  assert.equal(sig.sid, 40);
  assert.equal(sig.rev, 7);
  assert.equal(sig.classtype, 'trojan-activity');
  assert.equal(sig.category, 'A Network Trojan was detected');
  assert.equal(sig.priority, 1);
  assert.deepEqual(sig.references, ['url,example.com/a']);
  assert.deepEqual(sig.metadata, ['created_at 2024_01_01', 'signature_severity Major']);
  assert.equal(sig.target, 'dest_ip');
  assert.equal(sig.flowFlags, 0x01 | 0x04);
});

test('keyword names ignore case', () => {
  const result = loadRulesFromText('alert ip any any -> any any (MSG:"upper"; Sid:12; TTL:3;)', 'u.rules');
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.signatures[0].msg, 'upper');
  assert.equal(result.signatures[0].sid, 12);
});

test('priority keyword overrides classtype', () => {
  const a = loadRulesFromText('alert ip any any -> any any (priority:4; classtype:trojan-activity; sid:1;)', 'p.rules');
  assert.equal(a.signatures[0].priority, 4);
  const b = loadRulesFromText('alert ip any any -> any any (msg:"no class"; sid:2;)', 'p.rules');
  assert.equal(b.signatures[0].priority, 3);
  assert.equal(b.signatures[0].category, '');
  const quoted = loadRulesFromText('alert ip any any -> any any (priority:"2"; sid:3;)', 'p.rules');
  assert.equal(quoted.signatures[0].priority, 2);
  const twice = loadRulesFromText('alert ip any any -> any any (priority:5; priority:4; sid:4;)', 'p.rules');
  assert.equal(twice.signatures[0].priority, 4);
  assert.deepEqual(twice.diagnostics.map((d) => `${d.severity}: ${d.message}`), ["warning: priority: '4' is a second priority; the highest one, 4, is used"]);
  const negative = loadRulesFromText('alert ip any any -> any any (priority:-1; sid:5;)', 'p.rules');
  assert.equal(negative.signatures.length, 0);
});

test('option without value rejected', () => {
  assert.deepEqual(check('alert ip any any -> any any (sameip:1; ttl; sid:3;)'), [
    [
      "rules/local.rules:1:37: error: sameip: 'sameip' takes no value, found '1' [KAPU_ERR_RULE_SYNTAX] sid:3",
      '  alert ip any any -> any any (sameip:1; ttl; sid:3;)',
      '                                      ^',
    ].join('\n'),
    [
      "rules/local.rules:1:40: error: ttl: 'ttl' needs a value ('ttl:value;') [KAPU_ERR_RULE_SYNTAX] sid:3",
      '  alert ip any any -> any any (sameip:1; ttl; sid:3;)',
      '                                         ^^^',
    ].join('\n'),
  ]);
});

test('second sid rejected', () => {
  assert.deepEqual(check('alert ip any any -> any any (sid:4; rev:1; sid:5;)'), [
    [
      "rules/local.rules:1:44: error: sid: the rule gives 'sid' more than once (a rule takes one) [KAPU_ERR_RULE_BAD_VALUE] sid:4",
      '  alert ip any any -> any any (sid:4; rev:1; sid:5;)',
      '                                             ^^^',
    ].join('\n'),
  ]);
});

test('builder buffers and last match', () => {
  // Stand-in payload keywords: `pat` adds a match to the current buffer,
  // `mod` records which match it modifies, `buf` selects a sticky buffer.
  const modified: string[] = [];
  const keywords = new Map(DEFAULT_KEYWORDS);
  const define = (name: string, value: KeywordDef['value'], setup: KeywordDef['setup']): void => {
    keywords.set(name, { name, description: '', docsAnchor: '', value, setup });
  };
  define('pat', 'required', (b, value) => b.currentMatches().push({ keyword: 'pat', value } as InspectionMatch));
  define('buf', 'required', (b, value) => b.selectBuffer(value));
  define('named', 'none', (b) => b.error('KAPU_ERR_RULE_BAD_VALUE', 'named: names itself'));
  define('mod', 'none', (b) => {
    const last = b.lastMatch(['pat']) as (InspectionMatch & { value: string }) | null;
    modified.push(last === null ? 'none' : `${b.currentBuffer}:${last.value}`);
    if (last === null) b.error('KAPU_ERR_RULE_SYNTAX', 'no pattern before mod');
  });

  const rule = 'alert tcp any any -> any any (mod; pat:a; mod; buf:x.y; pat:b; buf:pkt_data; mod; pat:c; buf:x.y; mod; sid:1;)';
  const result = loadRulesFromText(rule, 'b.rules', { keywords });
  assert.deepEqual(modified, ['none', 'pkt_data:a', 'pkt_data:b', 'x.y:c']);
  assert.deepEqual(result.diagnostics.map((d) => d.message), ['mod: no pattern before mod']);
  const named = loadRulesFromText('alert tcp any any -> any any (named; sid:3;)', 'b.rules', { keywords });
  assert.deepEqual(named.diagnostics.map((d) => d.message), ['named: names itself']);

  const clean = loadRulesFromText('alert tcp any any -> any any (pat:a; buf:x.y; pat:b; pat:c; buf:pkt_data; pat:d; sid:2;)', 'b.rules', { keywords });
  const sig = clean.signatures[0];
  assert.deepEqual(
    sig.buffers.map((b) => `${b.buffer}=${b.matches.map((m) => (m as InspectionMatch & { value: string }).value).join(',')}`),
    ['pkt_data=a,d', 'x.y=b,c'],
  );
});
