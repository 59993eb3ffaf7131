import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadClassificationConfig, loadReferenceConfig, parseClassificationConfig, parseReferenceConfig } from './classification.js';

test('classification lines parsed', () => {
  const table = parseClassificationConfig(
    [
      '# comment',
      'config classification: trojan-activity,A Network Trojan was detected, 1',
      'config classification:not-suspicious,Not Suspicious Traffic,3',
      'config classification: broken,No priority',
      'config classification: bad-priority,Text,high',
      'something else',
    ].join('\n'),
    'c.config',
  );
  assert.deepEqual(table.classes.get('trojan-activity'), { name: 'trojan-activity', description: 'A Network Trojan was detected', priority: 1 });
  assert.deepEqual(table.classes.get('not-suspicious'), { name: 'not-suspicious', description: 'Not Suspicious Traffic', priority: 3 });
  assert.deepEqual(table.problems, [
    "c.config:4: 'broken,No priority' has 2 fields (expected name,description,priority)",
    "c.config:5: priority 'high' of classtype 'bad-priority' is not a non-negative integer",
    "c.config:6: 'something else' is not a 'config classification:' line",
  ]);
});

test('reference lines parsed', () => {
  const table = parseReferenceConfig('config reference: cve       https://cve.mitre.org/cgi-bin/cvename.cgi?name=\nconfig reference: URL https://\n', 'r.config');
  assert.equal(table.systems.get('cve'), 'https://cve.mitre.org/cgi-bin/cvename.cgi?name=');
  assert.equal(table.systems.get('url'), 'https://');
  assert.deepEqual(table.problems, []);
});

test('built-in files load cleanly', () => {
  const classes = loadClassificationConfig();
  assert.deepEqual(classes.problems, []);
  assert.equal(classes.classes.size, 43);
  assert.deepEqual(classes.classes.get('attempted-admin'), { name: 'attempted-admin', description: 'Attempted Administrator Privilege Gain', priority: 1 });
  assert.deepEqual(classes.classes.get('bad-unknown'), { name: 'bad-unknown', description: 'Potentially Bad Traffic', priority: 2 });
  const references = loadReferenceConfig();
  assert.deepEqual(references.problems, []);
  assert.equal(references.systems.get('url'), 'https://');
});
