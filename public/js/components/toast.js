// Short confirmations ("Member removed.") in the page's polite live region, optionally with
// one action button ("Undo").

import { h, icon } from '../dom.js';

const DURATION_MS = 5000;
const MAX_VISIBLE = 3;

/**
 * Shows a message for a few seconds. `kind`: success | info | error. `action`: {label, onClick}
 * adds a button (the toast then takes clicks); `duration`: ms. Returns { dismiss }.
 */
export function toast(message, kind = 'success', { action = null, duration = DURATION_MS } = {}) {
  const region = document.getElementById('toasts');
  if (!region) return { dismiss() {} };
  const button = action ? h('button', { type: 'button', class: 'toast-action', text: action.label, onClick: () => { dismiss(); action.onClick(); } }) : null;
  const item = h(
    'div',
    { class: ['toast', `toast-${kind}`, action && 'toast-with-action'] },
    icon(kind === 'error' ? 'alert' : kind === 'info' ? 'info' : 'check'),
    h('span', { class: 'toast-text', text: message }),
    button,
  );
  region.append(item);
  while (region.children.length > MAX_VISIBLE) region.firstElementChild.remove();
  // Toasts let clicks through (pointer-events: none), so they never cover a control; one with
  // an action takes clicks on itself only.
  const timer = setTimeout(dismiss, duration);
  function dismiss() {
    clearTimeout(timer);
    item.remove();
  }
  return { dismiss };
}
