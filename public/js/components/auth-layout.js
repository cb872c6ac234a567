// The frame of the signed-out pages: a brand panel beside a form card.

import { h, icon } from '../dom.js';

const POINTS = [
  ['customers', 'Every customer in one place', 'Profiles, events, RFM scores and lifetime value.'],
  ['campaigns', 'Campaigns that reach the right people', 'Email, SMS and ads to live segments.'],
  ['shield', 'Self-hosted and multi-tenant', 'Your data stays on your servers, one workspace per brand.'],
];

/** `body`: the form; `footer`: nodes under the card. */
export function authLayout({ title, subtitle, body = [], footer = [] }) {
  return h('div', { class: 'auth' },
    h('aside', { class: 'auth-aside', 'aria-hidden': 'true' },
      h('div', { class: 'auth-brand' },
        h('img', { class: 'brand-logo', src: '/favicon.svg', alt: '', width: 32, height: 32 }),
        h('span', { class: 'brand-name', text: 'EnterCRM' })),
      h('p', { class: 'auth-tagline', text: 'The customer data platform and CRM you run yourself.' }),
      h('ul', { class: 'auth-points' },
        POINTS.map(([iconName, heading, text]) =>
          h('li', {}, h('span', { class: 'auth-point-icon' }, icon(iconName)),
            h('span', {}, h('strong', { text: heading }), h('span', { text }))))),
      h('p', { class: 'auth-fineprint', text: '© EnterCRM' })),
    h('main', { class: 'auth-main', id: 'main', tabindex: '-1' },
      h('div', { class: 'auth-card' },
        h('div', { class: 'auth-card-brand' },
          h('img', { class: 'brand-logo', src: '/favicon.svg', alt: '', width: 28, height: 28 }),
          h('span', { class: 'brand-name', text: 'EnterCRM' })),
        h('h1', { class: 'auth-title', tabindex: '-1', text: title }),
        subtitle ? h('p', { class: 'auth-subtitle', text: subtitle }) : null,
        body),
      footer.length ? h('p', { class: 'auth-footer' }, footer) : null));
}
