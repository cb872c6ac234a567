// A disclosure menu: a button that opens a panel of links and buttons. Escape, a click
// outside or tabbing away closes it; arrow keys move between its items.

import { h, uid } from '../dom.js';

/**
 * Returns {root, button, panel, open, close}. `button` is the trigger element (a <button>),
 * `content()` builds the panel's children each time it opens.
 */
export function popover({ button, content, align = 'start', className = '' }) {
  const panelId = uid('popover');
  const panel = h('div', { class: ['popover', `popover-${align}`], id: panelId, hidden: true });
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', panelId);
  const root = h('div', { class: ['popover-root', className] }, button, panel);

  function items() {
    return [...panel.querySelectorAll('a[href], button:not([disabled])')];
  }

  function open() {
    panel.replaceChildren(...[content()].flat());
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', onOutside, true);
    const current = panel.querySelector('[aria-current="true"]') || items()[0];
    if (current) current.focus();
  }

  function close({ focusButton = false } = {}) {
    if (panel.hidden) return;
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onOutside, true);
    if (focusButton) button.focus();
  }

  function onOutside(event) {
    if (!root.contains(event.target)) close();
  }

  button.addEventListener('click', () => (panel.hidden ? open() : close()));
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' && panel.hidden) {
      event.preventDefault();
      open();
    }
  });
  root.addEventListener('keydown', (event) => {
    if (panel.hidden) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close({ focusButton: true });
      return;
    }
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp' || event.key === 'Home' || event.key === 'End') {
      const list = items();
      if (!list.length) return;
      event.preventDefault();
      const index = list.indexOf(document.activeElement);
      let next = 0;
      if (event.key === 'ArrowDown') next = index < 0 ? 0 : (index + 1) % list.length;
      if (event.key === 'ArrowUp') next = index <= 0 ? list.length - 1 : index - 1;
      if (event.key === 'End') next = list.length - 1;
      list[next].focus();
    }
  });
  root.addEventListener('focusout', (event) => {
    if (event.relatedTarget && !root.contains(event.relatedTarget)) close();
  });
  panel.addEventListener('click', (event) => {
    if (event.target.closest('a[href], button')) close();
  });

  return { root, button, panel, open, close };
}
