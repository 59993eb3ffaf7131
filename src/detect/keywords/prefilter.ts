import { registerKeyword } from './keyword-table.js';

// `prefilter` only asks the engine to use the previous keyword as the
// rule's prefilter. It changes which rules are tried first, never whether a
// rule matches, so kapu accepts it and chooses the prefilter itself.
registerKeyword({
  name: 'prefilter',
  description: 'Asks to prefilter on the previous keyword; accepted, kapu picks the prefilter itself.',
  docsAnchor: 'prefilter-keywords.html#prefilter',
  value: 'none',
  setup() {},
});
