import { test } from 'node:test';
import assert from 'node:assert/strict';
import RE2 from 're2';
import { compileTextRegex, describeRule, matchesRule, parseRuleMatcher, type FilterableRule } from './rule-matchers.js';
import { applyRuleFilters, compileRuleFilters, filterRuleFileText, parseReplacement, type RuleFilterLists } from './rule-filters.js';

const TROJAN = 'alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN Heartbleed probe"; flow:established; classtype:trojan-activity; sid:2019401; rev:3; metadata:signature_severity Major, deployment Perimeter;)';
const PING = 'alert icmp any any -> any any (msg:"ET ICMP ping"; classtype:misc-activity; sid:2000050; rev:1;)';
const CURL = 'alert http any any -> any any (msg:"ET POLICY curl"; flowbits:set,curl; flowbits:noalert; classtype:policy-violation; sid:2000100; rev:2; metadata: signature_severity Minor;)';
const DNS = 'alert dns any any -> any any (msg:"ET DNS query"; gid:3; sid:2000060; rev:1;)';

/** Builds the four test rules: three enabled, the gid 3 one disabled. */
function sampleRules(): FilterableRule[] {
  return [
    describeRule(TROJAN, true, 'emerging-trojan.rules'),
    describeRule(PING, true, 'emerging-icmp.rules'),
    describeRule(CURL, true, 'emerging-policy.rules'),
    describeRule(DNS, false, 'emerging-dns.rules'),
  ];
}

/** Returns the sids (gid:sid) that `entry` selects among the sample rules. */
function selected(entry: string): string[] {
  const matcher = parseRuleMatcher(entry);
  if (typeof matcher === 'string') throw new Error(matcher);
  return sampleRules().filter((rule) => matchesRule(matcher, rule)).map((rule) => `${rule.gid}:${rule.sid}`);
}

function lists(partial: Partial<RuleFilterLists>): RuleFilterLists {
  return { disable: [], enable: [], drop: [], modify: [], ...partial };
}

function compile(partial: Partial<RuleFilterLists>) {
  const { filters, problems } = compileRuleFilters(lists(partial));
  assert.deepEqual(problems, []);
  return filters;
}

test('describeRule reads ids, classtype, metadata', () => {
  const rule = describeRule(TROJAN, true, 'emerging-trojan.rules');
  assert.equal(rule.gid, 1);
  assert.equal(rule.sid, 2019401);
  assert.equal(rule.rev, 3);
  assert.equal(rule.classtype, 'trojan-activity');
  assert.deepEqual(rule.metadata, ['signature_severity major', 'deployment perimeter']);
  assert.equal(rule.isNoalert, false);
  assert.equal(describeRule(CURL, true, 'x').isNoalert, true);
  assert.equal(describeRule(DNS, true, 'x').gid, 3);
});

test('sid matcher with and without gid', () => {
  assert.deepEqual(selected('2019401'), ['1:2019401']);
  assert.deepEqual(selected('1:2019401'), ['1:2019401']);
  // A bare sid means gid 1, so the gid 3 rule is not selected.
  assert.deepEqual(selected('2000060'), []);
  assert.deepEqual(selected('3:2000060'), ['3:2000060']);
  assert.deepEqual(selected('2000050, 2019401'), ['1:2019401', '1:2000050']);
});

test('sid matcher with a revision', () => {
  assert.deepEqual(selected('1:2019401:3'), ['1:2019401']);
  assert.deepEqual(selected('1:2019401:2'), []);
});

test('sid range matcher is inclusive', () => {
  assert.deepEqual(selected('2000000-2000100'), ['1:2000050', '1:2000100']);
  assert.deepEqual(selected('2000051-2000099'), []);
  assert.deepEqual(selected('3:2000000-2000100'), ['3:2000060']);
});

test('group matcher with globs', () => {
  assert.deepEqual(selected('group:emerging-icmp.rules'), ['1:2000050']);
  // Also matched without the extension.
  assert.deepEqual(selected('group:emerging-icmp'), ['1:2000050']);
  assert.deepEqual(selected('group:emerging-*'), ['1:2019401', '1:2000050', '1:2000100', '3:2000060']);
  assert.deepEqual(selected('group:emerging-[dt]*'), ['1:2019401', '3:2000060']);
  assert.deepEqual(selected('group:emerging-?cmp'), ['1:2000050']);
  // A bare name ending in .rules is a group.
  assert.deepEqual(selected('emerging-policy.rules'), ['1:2000100']);
});

test('re matcher is case-insensitive', () => {
  assert.deepEqual(selected('re:heartbleed'), ['1:2019401']);
  assert.deepEqual(selected('re:flowbits:\\s*noalert'), ['1:2000100']);
  // Lookahead is beyond RE2, so the JavaScript engine runs it.
  assert.deepEqual(selected('re:^(?=.*curl)alert http'), ['1:2000100']);
  // Disabled rules are matched on their text without the '#'.
  assert.deepEqual(selected('re:^alert dns'), ['3:2000060']);
});

test('regex runs on RE2 when it can', () => {
  assert.ok(compileTextRegex('MS(0[7-9]|10)-\\d+', 'i') instanceof RE2);
  const lookahead = compileTextRegex('^(?=.*curl)alert', 'i');
  assert.ok(lookahead instanceof RegExp);
  assert.ok(!(lookahead instanceof RE2));
  // Python's named group syntax reaches JavaScript's engine as (?<name>...).
  const named = compileTextRegex('(?P<word>\\w+) \\k<word>', '');
  assert.ok(named instanceof RegExp);
  assert.equal(named.test('ab ab'), true);
});

test('classtype matcher', () => {
  assert.deepEqual(selected('classtype:trojan-activity'), ['1:2019401']);
  assert.deepEqual(selected('classtype:Misc-Activity'), ['1:2000050']);
  assert.deepEqual(selected('classtype:bad-unknown'), []);
});

test('metadata matcher key and value', () => {
  assert.deepEqual(selected('metadata: signature_severity Major'), ['1:2019401']);
  assert.deepEqual(selected('metadata: deployment perimeter'), ['1:2019401']);
  assert.deepEqual(selected('metadata:signature_severity minor'), ['1:2000100']);
  assert.deepEqual(selected('metadata: signature_severity Critical'), []);
});

test('all matcher', () => {
  assert.deepEqual(selected('*'), ['1:2019401', '1:2000050', '1:2000100', '3:2000060']);
});

test('bad matchers name the problem', () => {
  const forms = 'a sid (2019401 or 1:2019401), a sid range (2000000-2000100), group:FILE, re:REGEX, classtype:NAME, metadata: KEY VALUE or *';
  assert.equal(parseRuleMatcher('foo'), `'foo' is not a rule matcher (expected ${forms})`);
  assert.equal(parseRuleMatcher('2000100-2000000'), "'2000100-2000000': sid range 2000100-2000000 ends before it starts");
  assert.equal(parseRuleMatcher('group:'), `'group:' has nothing after 'group:' (expected ${forms})`);
  assert.equal(parseRuleMatcher('metadata: severity'), "'metadata: severity' has a key but no value (expected metadata: KEY VALUE, such as metadata: signature_severity Major)");
  assert.match(parseRuleMatcher('re:(') as string, /^'re:\(': invalid regular expression \(/);
});

test('compile names entry key and index', () => {
  const { problems } = compileRuleFilters(lists({ disable: ['2019401', 'nope'], modify: ['2019401 "a" "b"', '2019401 "a"', '* "(a)" "\\2"'] }));
  assert.deepEqual(problems, [
    "policy.disable[1]: 'nope' is not a rule matcher (expected a sid (2019401 or 1:2019401), a sid range (2000000-2000100), group:FILE, re:REGEX, classtype:NAME, metadata: KEY VALUE or *)",
    'policy.modify[1]: \'2019401 "a"\' is not a modify entry (expected MATCHER "FROM-REGEX" "TO", such as 2019401 "seconds \\d+" "seconds 3600")',
    "policy.modify[2]: '\\2': group 2 does not exist: the pattern has 1 group",
  ]);
});

test('disable then enable leaves rule enabled', () => {
  const rules = sampleRules();
  const outcome = applyRuleFilters(rules, compile({ disable: ['2000000-2000100'], enable: ['2000050', '3:2000060'] }));
  assert.deepEqual(rules.map((r) => r.isEnabled), [true, true, false, true]);
  assert.deepEqual(outcome.disabled, ['1:2000050', '1:2000100']);
  assert.deepEqual(outcome.enabled, ['1:2000050', '3:2000060']);
});

test('drop skips noalert rules and keeps state', () => {
  const rules = sampleRules();
  const outcome = applyRuleFilters(rules, compile({ drop: ['*'] }));
  assert.deepEqual(outcome.dropped, ['1:2019401', '1:2000050', '3:2000060']);
  assert.equal(rules[0].text, TROJAN.replace(/^alert/, 'drop'));
  assert.equal(rules[2].text, CURL);
  // The disabled rule becomes a drop rule and stays disabled.
  assert.equal(rules[3].text, DNS.replace(/^alert/, 'drop'));
  assert.equal(rules[3].isEnabled, false);
});

test('modify runs after drop, in list order', () => {
  const rules = sampleRules();
  const outcome = applyRuleFilters(rules, compile({
    drop: ['2019401'],
    // The second entry selects by the text that the first one writes.
    modify: ['2019401 "rev:3" "rev:4"', 're:rev:4; "msg:\\"ET TROJAN" "msg:\\"LOCAL TROJAN"'],
  }));
  assert.equal(rules[0].text, 'drop tcp $HOME_NET any -> $EXTERNAL_NET any (msg:"LOCAL TROJAN Heartbleed probe"; flow:established; classtype:trojan-activity; sid:2019401; rev:4; metadata:signature_severity Major, deployment Perimeter;)');
  assert.equal(rules[0].rev, 4);
  assert.deepEqual(outcome.modified, ['1:2019401']);
  assert.equal(rules[1].text, PING);
});

test('modify reads the changed rule again', () => {
  const rules = sampleRules();
  applyRuleFilters(rules, compile({
    modify: ['2000050 "(classtype:)misc-activity" "${1}bad-unknown"', 'classtype:bad-unknown "^alert icmp" "alert ip"'],
  }));
  assert.equal(rules[1].classtype, 'bad-unknown');
  assert.equal(rules[1].text, 'alert ip any any -> any any (msg:"ET ICMP ping"; classtype:bad-unknown; sid:2000050; rev:1;)');
});

test('modify replaces every match with groups', () => {
  const rules = sampleRules();
  applyRuleFilters(rules, compile({ modify: ['re:heartbleed "(\\$\\w+)_NET" "\\1_NETS"'] }));
  assert.equal(rules[0].text, TROJAN.replace('$HOME_NET', '$HOME_NETS').replace('$EXTERNAL_NET', '$EXTERNAL_NETS'));
});

test('modify that drops the sid is not applied', () => {
  const rules = sampleRules();
  const outcome = applyRuleFilters(rules, compile({ modify: ['2000050 "sid:2000050;" ""'] }));
  assert.equal(rules[1].text, PING);
  assert.deepEqual(outcome.modified, []);
  assert.deepEqual(outcome.problems, ['policy.modify[0]: rule 1:2000050 would become invalid (no sid); the rule is kept unchanged']);
});

test('modify with metadata matcher', () => {
  const rules = sampleRules();
  applyRuleFilters(rules, compile({ modify: ['metadata: signature_severity Minor "^alert" "pass"'] }));
  assert.equal(rules[2].text, CURL.replace(/^alert/, 'pass'));
  assert.equal(rules[0].text, TROJAN);
});

test('replacement escapes as Python reads them', () => {
  assert.deepEqual(parseReplacement('drop\\2', 2), ['drop', 2]);
  assert.deepEqual(parseReplacement('a\\g<name>b\\g<1>', 1), ['a', { name: 'name' }, 'b', 1]);
  assert.deepEqual(parseReplacement('x\\ty\\\\z\\.', 0), ['x\ty\\z\\.']);
  assert.equal(parseReplacement('\\q', 0), "bad escape '\\q' in the replacement (allowed: \\1 to \\99, \\g<name>, ${1}, \\n, \\t, \\\\)");
});

test('file text keeps line numbers', () => {
  const content = [
    '# a comment',
    `#${PING}`,
    'alert tcp any any -> any any (msg:"two lines"; \\',
    '  sid:5; rev:1;)',
    CURL,
    '',
  ].join('\n');
  const warnings: string[] = [];
  const out = filterRuleFileText(content, '/rules/local.rules', compile({ enable: ['2000050'], disable: ['group:local'], modify: ['5 "two lines" "one line"'] }), warnings);
  assert.deepEqual(out.split('\n'), [
    '# a comment',
    PING,
    '# alert tcp any any -> any any (msg:"one line";   sid:5; rev:1;)',
    '',
    `# ${CURL}`,
    '',
  ]);
  assert.deepEqual(warnings, []);
});

test('file with same fingerprint is not filtered', () => {
  const filters = compile({ disable: ['*'] });
  const content = `# kapu-filters: ${filters.fingerprint}\n${PING}\n`;
  const warnings: string[] = [];
  assert.equal(filterRuleFileText(content, 'kapu.rules', filters, warnings), content);
  const other = `# kapu-filters: 0000000000000000\n${PING}\n`;
  assert.equal(filterRuleFileText(other, 'kapu.rules', filters, warnings), `# kapu-filters: 0000000000000000\n# ${PING}\n`);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^kapu\.rules was written by kapu rules update with other policy filters/);
});

test('unfiltered merged file gives no warning', () => {
  const filters = compile({ disable: ['*'] });
  const unfiltered = compileRuleFilters(lists({})).filters.fingerprint;
  const warnings: string[] = [];
  assert.equal(filterRuleFileText(`# kapu-filters: ${unfiltered}\n${PING}\n`, 'kapu.rules', filters, warnings), `# kapu-filters: ${unfiltered}\n# ${PING}\n`);
  assert.deepEqual(warnings, []);
});

test('group markers of a merged file', () => {
  const filters = compile({ disable: ['group:emerging-icmp'] });
  const content = `# kapu-group: emerging-icmp.rules\n${PING}\n# kapu-group: emerging-policy.rules\n${CURL}\n`;
  assert.equal(filterRuleFileText(content, 'kapu.rules', filters, []), `# kapu-group: emerging-icmp.rules\n# ${PING}\n# kapu-group: emerging-policy.rules\n${CURL}\n`);
});
