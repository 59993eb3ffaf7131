import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleVariables, DEFAULT_ADDRESS_GROUPS, DEFAULT_PORT_GROUPS, RuleVariables } from './variables.js';

// Values of vars.address-groups and vars.port-groups in Suricata 8's stock suricata.yaml.
test('variables stock defaults', () => {
  assert.equal(DEFAULT_ADDRESS_GROUPS['HOME_NET'], '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]');
  assert.equal(DEFAULT_ADDRESS_GROUPS['EXTERNAL_NET'], '!$HOME_NET');
  assert.equal(DEFAULT_ADDRESS_GROUPS['AIM_SERVERS'], '$EXTERNAL_NET');
  for (const name of ['HTTP_SERVERS', 'SMTP_SERVERS', 'SQL_SERVERS', 'DNS_SERVERS', 'TELNET_SERVERS', 'DC_SERVERS', 'DNP3_SERVER', 'DNP3_CLIENT', 'MODBUS_CLIENT', 'MODBUS_SERVER', 'ENIP_CLIENT', 'ENIP_SERVER']) {
    assert.equal(DEFAULT_ADDRESS_GROUPS[name], '$HOME_NET', name);
  }
  assert.deepEqual(DEFAULT_PORT_GROUPS, {
    HTTP_PORTS: '80',
    SHELLCODE_PORTS: '!80',
    ORACLE_PORTS: '1521',
    SSH_PORTS: '22',
    DNP3_PORTS: '20000',
    MODBUS_PORTS: '502',
    FILE_DATA_PORTS: '[$HTTP_PORTS,110,143]',
    FTP_PORTS: '21',
    GENEVE_PORTS: '6081',
    VXLAN_PORTS: '4789',
    TEREDO_PORTS: '3544',
    SIP_PORTS: '[5060, 5061]',
  });
});

test('variables config overrides', () => {
  const vars = new RuleVariables({ 'address-groups': { HOME_NET: '[198.51.100.0/24]', $LAB_NET: '203.0.113.0/24' }, 'port-groups': { HTTP_PORTS: '[80,8080]', SSH_PORTS: 2222 } });
  assert.equal(vars.address('HOME_NET'), '[198.51.100.0/24]');
  assert.equal(vars.address('LAB_NET'), '203.0.113.0/24');
  assert.equal(vars.address('EXTERNAL_NET'), '!$HOME_NET');
  assert.equal(vars.port('HTTP_PORTS'), '[80,8080]');
  assert.equal(vars.port('SSH_PORTS'), '2222');
  assert.equal(vars.port('NOPE'), null);
  assert.equal(vars.address('HTTP_PORTS'), null);
});

test('variables check reports bad values', () => {
  assert.deepEqual(checkRuleVariables(new RuleVariables()), []);
  const bad = new RuleVariables({
    'address-groups': { HOME_NET: '[10.0.0.0/33]', LOOP_A: '$LOOP_B', LOOP_B: '$LOOP_A' },
    'port-groups': { HTTP_PORTS: '80:70' },
  });
  const problems = checkRuleVariables(bad);
  const prefixError = "prefix length '/33' in '10.0.0.0/33' is invalid (expected 0 to 32)";
  assert.equal(problems[0], `vars.address-groups.HOME_NET: '[10.0.0.0/33]' is invalid: ${prefixError}`);
  assert.equal(problems[1], `vars.address-groups.EXTERNAL_NET: '!$HOME_NET' is invalid: in variable '$HOME_NET' ("[10.0.0.0/33]"): ${prefixError}`);
  assert.ok(problems.includes(`vars.address-groups.LOOP_A: '$LOOP_B' is invalid: in variable '$LOOP_B' ("$LOOP_A"): variable '$LOOP_A' refers to itself ($LOOP_A -> $LOOP_B -> $LOOP_A)`));
  assert.ok(problems.includes("vars.port-groups.HTTP_PORTS: '80:70' is invalid: port range '80:70' ends before it starts"));
  assert.ok(problems.includes(`vars.port-groups.FILE_DATA_PORTS: '[$HTTP_PORTS,110,143]' is invalid: in variable '$HTTP_PORTS' ("80:70"): port range '80:70' ends before it starts`));
});
