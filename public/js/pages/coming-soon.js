// Areas that arrive with a later release.

import { h, icon } from '../dom.js';
import { navItem } from '../nav.js';
import { pageHeader } from '../components/page.js';

export function render({ path }) {
  const item = navItem(path) || { label: 'This area', icon: 'sparkle' };
  return h('div', { class: 'page page-soon' },
    pageHeader({ title: item.label, description: item.description }),
    h('section', { class: 'card soon-panel', 'aria-labelledby': 'soon-title' },
      h('span', { class: 'soon-icon' }, icon(item.icon)),
      h('span', { class: 'badge badge-soon', text: 'Coming soon' }),
      h('h2', { class: 'soon-title', id: 'soon-title', text: 'Coming soon: this area arrives with a later release' }),
      h('p', { class: 'soon-text', text: `${item.label} is on its way. In the meantime, invite your team and create the API keys your integrations will use.` }),
      h('div', { class: 'soon-actions' },
        h('a', { class: 'button button-primary', href: '#/dashboard', text: 'Back to the dashboard' }),
        h('a', { class: 'button button-secondary', href: '#/settings/api-keys', text: 'Set up an API key' }))));
}
