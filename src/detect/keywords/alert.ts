import { registerKeyword } from './keyword-table.js';

// Suricata 8 lets a `pass` rule also raise an alert with the `alert`
// option; on other actions it changes nothing, since they alert anyway.
registerKeyword({
  name: 'alert',
  description: 'Makes a pass rule raise an alert as well as passing the packet or flow.',
  docsAnchor: 'rule-actions.html',
  value: 'none',
  setup(b) {
    b.sig.hasAlertKeyword = true;
  },
});
