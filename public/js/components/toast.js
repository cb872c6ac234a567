// Short confirmations ("Member removed.") in the page's polite live region.

import { h, icon } from '../dom.js';

const DURATION_MS = 5000;
const MAX_VISIBLE = 3;

/** Shows a message for a few seconds. `kind`: success | info | error. */
export function toast(message, kind = 'success') {
  const region = document.getElementById('toasts');
  if (!region) return;
  const item = h(
    'div',
    { class: ['toast', `toast-${kind}`] },
    icon(kind === 'error' ? 'alert' : kind === 'info' ? 'info' : 'check'),
    h('span', { text: message }),
  );
  region.append(item);
  while (region.children.length > MAX_VISIBLE) region.firstElementChild.remove();
  // Toasts let clicks through (pointer-events: none), so they never cover a control.
  setTimeout(() => item.remove(), DURATION_MS);
}
