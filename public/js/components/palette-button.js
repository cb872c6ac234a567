// The command palette's ways in: Ctrl+K / Cmd+K (and "/") anywhere, and the top bar's search
// button. The palette itself (palette.js) loads on first use.

import { h, icon } from '../dom.js';

function openPalette() {
  import('./palette.js').then((m) => m.openPalette());
}

/** Ctrl+K / ⌘K anywhere opens the palette; "/" too, outside fields. */
export function installPaletteShortcut() {
  document.addEventListener('keydown', (event) => {
    const inField = event.target instanceof HTMLElement && event.target.closest('input, textarea, select, [contenteditable="true"]');
    if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 'k') {
      event.preventDefault();
      openPalette();
    } else if (event.key === '/' && !inField && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      openPalette();
    }
  });
}

/** The top bar's search button: what it does and its shortcut, said. */
export function paletteButton() {
  const mac = /Mac|iPhone|iPad/.test(navigator.platform || '');
  return h('button', {
    type: 'button', class: 'topbar-search', dataset: { action: 'search' }, 'aria-label': 'Search everything',
    'aria-keyshortcuts': mac ? 'Meta+K' : 'Control+K', onClick: () => openPalette(),
  },
  icon('search', 'icon icon-small'),
  h('span', { class: 'topbar-search-text', text: 'Search…' }),
  h('kbd', { class: 'topbar-search-key', text: mac ? '⌘K' : 'Ctrl K' }));
}
