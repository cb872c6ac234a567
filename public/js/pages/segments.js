// #/segments: every segment of the workspace with its colour, size and state; the built-in
// RFM segments apart. Counts are read from the stored membership, so the list is instant.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { count, dateOnly } from '../components/format.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { permit } from '../components/permit.js';
import { isPendingDelete } from '../components/undo.js';

let stylesheetAdded = false;

/** The segment pages' stylesheet, added once. */
export function segmentStyles() {
  if (stylesheetAdded) return;
  stylesheetAdded = true;
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/segments.css' }));
}

/** A round swatch of a segment's colour (through the CSSOM: the CSP forbids style attributes). */
export function swatch(color) {
  const dot = h('span', { class: 'segment-swatch', 'aria-hidden': 'true' });
  if (/^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(color || '')) dot.style.background = color;
  return dot;
}

export function statusBadge(segment) {
  if (segment.status === 'building') return h('span', { class: 'badge badge-building', text: 'Building…' });
  return segment.system ? h('span', { class: 'badge badge-neutral', text: 'Built-in' }) : null;
}

function table(segments) {
  return tableWrap(h('table', { class: 'table segments-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: 'Segment' }),
      h('th', { scope: 'col', class: 'num', text: 'Customers' }),
      h('th', { scope: 'col', text: 'Description' }),
      h('th', { scope: 'col', text: 'Created' }))),
    h('tbody', {}, segments.map((s) => h('tr', { dataset: { segmentId: String(s.id) } },
      h('td', { class: 'strong' },
        h('a', { class: 'segment-link', href: `#/segments/${s.id}` }, swatch(s.color), h('span', { text: s.name })),
        ' ', statusBadge(s)),
      h('td', { class: 'num segment-count', text: count(s.customers_count, '0') }),
      h('td', { class: 'muted', text: s.description || '' }),
      h('td', {}, dateOnly(s.created_at)))))), 'Segments');
}

export function render() {
  segmentStyles();
  const mine = h('div', {}, loadingState());
  const builtIn = h('div', {}, loadingState());
  const root = h('div', { class: 'page page-segments' },
    pageHeader({
      title: 'Segments',
      description: 'Groups of customers defined by rules. Membership is stored and kept current within seconds of every change.',
      actions: [permit(h('a', { class: 'button button-primary', href: '#/segments/new' }, icon('plus'), h('span', { text: 'New segment' })), 'POST /v1/segments', 'create segments')],
    }),
    card({ title: 'Your segments', body: [mine], className: 'card-segments-mine' }),
    card({ title: 'RFM segments', description: 'Built in, kept in step with every RFM recompute. Read-only.', body: [builtIn], className: 'card-segments-rfm' }));

  async function load() {
    try {
      const data = (await api.get('/v1/segments', { query: { per_page: 100 } })).data.filter((s) => !isPendingDelete(`/v1/segments/${s.id}`));
      const own = data.filter((s) => !s.system);
      replace(mine, own.length ? table(own) : emptyState({
        title: 'No segments yet',
        text: 'Build one from conditions on customers’ data, events and scores.',
        action: permit(h('a', { class: 'button button-secondary', href: '#/segments/new', text: 'New segment' }), 'POST /v1/segments', 'create segments'),
      }));
      replace(builtIn, table(data.filter((s) => s.system)));
      if (data.some((s) => s.status === 'building') && document.contains(root)) setTimeout(load, 1500);
    } catch (error) {
      replace(mine, errorState(error, load));
    }
  }
  load();
  return root;
}
