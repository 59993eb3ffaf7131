import { registerKeyword } from './keyword-table.js';

registerKeyword({
  name: 'noalert',
  description: 'Runs the rule and its effects (flowbits, tags) without raising an alert.',
  docsAnchor: 'noalert.html',
  value: 'none',
  setup(b) {
    b.sig.isNoAlert = true;
  },
});
