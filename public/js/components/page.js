// Page furniture: the heading (focused on navigation), cards, loading, empty and error states.

import { h, icon } from '../dom.js';

/** The page's header with its h1 (tabindex -1, so navigation can move focus to it). */
export function pageHeader({ title, description, eyebrow, actions = [] }) {
  return h('header', { class: 'page-header' },
    h('div', { class: 'page-header-text' },
      eyebrow ? h('p', { class: 'page-eyebrow', text: eyebrow }) : null,
      h('h1', { class: 'page-title', tabindex: '-1', text: title }),
      description ? h('p', { class: 'page-description', text: description }) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

/** A card section with an h2 title. */
export function card({ title, description, actions = [], body = [], className = '', id }) {
  return h('section', { class: ['card', className], id, 'aria-label': title || null },
    title || actions.length
      ? h('div', { class: 'card-header' },
        h('div', { class: 'card-header-text' },
          title ? h('h2', { class: 'card-title', text: title }) : null,
          description ? h('p', { class: 'card-description', text: description }) : null),
        actions.length ? h('div', { class: 'card-actions' }, actions) : null)
      : null,
    h('div', { class: 'card-body' }, body));
}

export function loadingState(text = 'Loading…') {
  return h('div', { class: 'state state-loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { text }));
}

export function emptyState({ title, text, action, iconName = 'info' }) {
  return h('div', { class: 'state state-empty' },
    h('span', { class: 'state-icon' }, icon(iconName)),
    h('p', { class: 'state-title', text: title }),
    text ? h('p', { class: 'state-text', text }) : null,
    action || null);
}

/** A failed load, as an alert with a retry button. */
export function errorState(error, retry) {
  return h('div', { class: 'alert alert-error', role: 'alert' },
    icon('alert'),
    h('div', { class: 'alert-content' },
      h('p', { text: error?.message || 'Something went wrong.' }),
      retry ? h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Try again', onClick: retry }) : null));
}

/** A horizontally scrolling wrapper for tables, labelled for screen readers. */
export function tableWrap(table, label) {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label }, table);
}
