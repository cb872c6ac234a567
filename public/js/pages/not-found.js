// Any other route.

import { h } from '../dom.js';
import { pageHeader } from '../components/page.js';

export function render() {
  return h('div', { class: 'page page-not-found' },
    pageHeader({ title: 'Page not found', description: 'There is no page at this address. It may have moved.' }),
    h('a', { class: 'button button-primary', href: '#/dashboard', text: 'Go to the dashboard' }));
}
