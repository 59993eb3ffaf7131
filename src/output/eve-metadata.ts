/**
 * The top-level `metadata` and `traffic` objects of EVE alert and flow
 * events, as Suricata 8 writes them: the values that keywords recorded on
 * the flow.
 *
 *   "metadata":{"flowbits":[...],"flowvars":[{"name":"value"}],
 *               "flowints":{"name":n},"entropy":{"file_data":4.15}}
 *   "traffic":{"id":[...],"label":[...]}
 *
 * Flowbits named `traffic/id/NAME` or `traffic/label/NAME` (the flow
 * tagging convention) go to `traffic` instead of `metadata.flowbits`.
 */
import type { VariableIds } from '../detect/rule-parser.js';
import type { Flow } from '../flow/flow.js';
import { jsonString } from './eve-format.js';

const TRAFFIC_ID_PREFIX = 'traffic/id/';
const TRAFFIC_LABEL_PREFIX = 'traffic/label/';

/** Variable names by id, per kind, taken once from the loaded rules. */
export class FlowVariableNames {
  readonly flowbits: string[];
  readonly flowints: string[];
  readonly flowvars: string[];

  constructor(ids: VariableIds) {
    this.flowbits = namesOf(ids, 'flowbit');
    this.flowints = namesOf(ids, 'flowint');
    this.flowvars = namesOf(ids, 'flowvar');
  }
}

function namesOf(ids: VariableIds, kind: string): string[] {
  const names: string[] = [];
  for (const [name, id] of ids.byKind.get(kind) ?? []) names[id] = name;
  return names;
}

/**
 * Returns `,"metadata":{...}` and `,"traffic":{...}` for the values recorded
 * on `flow`, each left out when empty, or '' when the flow has none.
 * Without `names` the flow's variables are left out (their names are
 * unknown) and only entropy is written.
 */
export function flowMetadataField(flow: Flow, names: FlowVariableNames | null = null): string {
  let flowbits = '';
  let trafficIds = '';
  let trafficLabels = '';
  let flowvars = '';
  let flowints = '';
  if (names !== null) {
    const bits = flow.flowbits;
    if (bits !== null) {
      for (let id = 0; id < bits.length * 32; id++) {
        if ((bits[id >>> 5] & (1 << (id & 31))) === 0) continue;
        const name = names.flowbits[id];
        if (name === undefined) continue;
        if (name.startsWith(TRAFFIC_ID_PREFIX)) trafficIds += (trafficIds === '' ? '' : ',') + jsonString(name.slice(TRAFFIC_ID_PREFIX.length));
        else if (name.startsWith(TRAFFIC_LABEL_PREFIX)) trafficLabels += (trafficLabels === '' ? '' : ',') + jsonString(name.slice(TRAFFIC_LABEL_PREFIX.length));
        else flowbits += (flowbits === '' ? '' : ',') + jsonString(name);
      }
    }
    if (flow.flowvars !== null) {
      for (const [id, value] of flow.flowvars) {
        const name = names.flowvars[id];
        if (name !== undefined) flowvars += (flowvars === '' ? '' : ',') + '{' + jsonString(name) + ':' + jsonString(value) + '}';
      }
    }
    if (flow.flowints !== null) {
      for (const [id, value] of flow.flowints) {
        const name = names.flowints[id];
        if (name !== undefined) flowints += (flowints === '' ? '' : ',') + jsonString(name) + ':' + value;
      }
    }
  }

  let entropy = '';
  if (flow.entropyByBuffer !== null) {
    for (const [buffer, value] of flow.entropyByBuffer) {
      entropy += (entropy === '' ? '' : ',') + jsonString(buffer) + ':' + (Number.isFinite(value) ? String(value) : '0');
    }
  }

  let metadata = '';
  if (flowbits !== '') metadata += '"flowbits":[' + flowbits + ']';
  if (flowvars !== '') metadata += (metadata === '' ? '' : ',') + '"flowvars":[' + flowvars + ']';
  if (flowints !== '') metadata += (metadata === '' ? '' : ',') + '"flowints":{' + flowints + '}';
  if (entropy !== '') metadata += (metadata === '' ? '' : ',') + '"entropy":{' + entropy + '}';
  let traffic = '';
  if (trafficIds !== '') traffic += '"id":[' + trafficIds + ']';
  if (trafficLabels !== '') traffic += (traffic === '' ? '' : ',') + '"label":[' + trafficLabels + ']';

  let out = '';
  if (metadata !== '') out += ',"metadata":{' + metadata + '}';
  if (traffic !== '') out += ',"traffic":{' + traffic + '}';
  return out;
}
