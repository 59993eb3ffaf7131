/**
 * Rule variables (`$HOME_NET`, `$HTTP_PORTS`): config keys
 * vars.address-groups and vars.port-groups. The defaults are those of
 * Suricata 8's stock suricata.yaml; config entries replace them one by one.
 * A variable may refer to other variables; a loop is reported where a rule
 * uses the variable (header-expression.ts).
 */
import { AddressCompiler, isCompiledAddress } from './address.js';
import { PortCompiler, isCompiledPorts } from './port.js';

/** vars.address-groups defaults of Suricata 8's suricata.yaml. */
export const DEFAULT_ADDRESS_GROUPS: Readonly<Record<string, string>> = {
  HOME_NET: '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]',
  EXTERNAL_NET: '!$HOME_NET',
  HTTP_SERVERS: '$HOME_NET',
  SMTP_SERVERS: '$HOME_NET',
  SQL_SERVERS: '$HOME_NET',
  DNS_SERVERS: '$HOME_NET',
  TELNET_SERVERS: '$HOME_NET',
  AIM_SERVERS: '$EXTERNAL_NET',
  DC_SERVERS: '$HOME_NET',
  DNP3_SERVER: '$HOME_NET',
  DNP3_CLIENT: '$HOME_NET',
  MODBUS_CLIENT: '$HOME_NET',
  MODBUS_SERVER: '$HOME_NET',
  ENIP_CLIENT: '$HOME_NET',
  ENIP_SERVER: '$HOME_NET',
};

/** vars.port-groups defaults of Suricata 8's suricata.yaml. */
export const DEFAULT_PORT_GROUPS: Readonly<Record<string, string>> = {
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
};

/** Variable overrides in the shape of the config's `vars` section. */
export interface RuleVariablesConfig {
  'address-groups'?: Record<string, string | number>;
  'port-groups'?: Record<string, string | number>;
}

/** The address and port variables that one ruleset is loaded with. */
export class RuleVariables {
  readonly addressGroups: Map<string, string>;
  readonly portGroups: Map<string, string>;

  /** Starts from Suricata's defaults and applies `config` on top. */
  constructor(config: RuleVariablesConfig = {}) {
    this.addressGroups = new Map(Object.entries(DEFAULT_ADDRESS_GROUPS));
    this.portGroups = new Map(Object.entries(DEFAULT_PORT_GROUPS));
    for (const [name, value] of Object.entries(config['address-groups'] ?? {})) {
      this.addressGroups.set(stripDollar(name), String(value).trim());
    }
    for (const [name, value] of Object.entries(config['port-groups'] ?? {})) {
      this.portGroups.set(stripDollar(name), String(value).trim());
    }
  }

  /** Returns the text of an address variable, or null when it is not defined. */
  address(name: string): string | null {
    return this.addressGroups.get(name) ?? null;
  }

  /** Returns the text of a port variable, or null when it is not defined. */
  port(name: string): string | null {
    return this.portGroups.get(name) ?? null;
  }
}

function stripDollar(name: string): string {
  return name.startsWith('$') ? name.slice(1) : name;
}

/**
 * Compiles every address and port variable and returns one problem per
 * variable that does not compile, naming its config key, value and the
 * reason. A variable that no rule uses is checked too, so a bad config
 * is reported before any rule loads.
 */
export function checkRuleVariables(variables: RuleVariables): string[] {
  const problems: string[] = [];
  const addresses = new AddressCompiler(variables);
  const ports = new PortCompiler(variables);
  for (const [name, value] of variables.addressGroups) {
    const result = addresses.compile(`$${name}`);
    if (!isCompiledAddress(result)) problems.push(`vars.address-groups.${name}: '${value}' is invalid: ${innerMessage(result.message)}`);
  }
  for (const [name, value] of variables.portGroups) {
    const result = ports.compile(`$${name}`);
    if (!isCompiledPorts(result)) problems.push(`vars.port-groups.${name}: '${value}' is invalid: ${innerMessage(result.message)}`);
  }
  return problems;
}

/** Drops the outer "in variable '$X' (...)" prefix that compiling `$X` adds. */
function innerMessage(message: string): string {
  const m = /^in variable '\$[^']+' \("(?:[^"\\]|\\.)*"\): (.*)$/s.exec(message);
  return m === null ? message : m[1];
}
