// The pieces of a list page that the customer and company lists share: sortable column
// headers, the active search and filters as removable chips, the pager, and the export button.

import { h, icon, replace } from '../dom.js';
import { count } from './format.js';
import { permit } from './permit.js';
import { toast } from './toast.js';

/**
 * A column header. With `column.sort`, a button that sorts by it (first in `column.first`,
 * then the other way), `aria-sort` on the active one; `onSort(sort, order)`.
 * Columns: {key, label, sort?, first?, numeric?, sortLabel?}.
 */
export function sortHeader(column, state, onSort) {
  const classes = [column.numeric && 'cell-number', `col-${column.key}`];
  if (!column.sort) return h('th', { scope: 'col', class: classes, text: column.label });
  const active = state.sort === column.sort;
  const direction = active ? state.order : null;
  const next = active ? (state.order === 'asc' ? 'desc' : 'asc') : column.first;
  const button = h('button', {
    type: 'button',
    class: ['sort-button', active && 'is-active'],
    dataset: { sort: column.sort },
    title: `Sort by ${column.sortLabel}, ${next === 'asc' ? 'ascending' : 'descending'}`,
  },
  h('span', { text: column.label }),
  icon(direction === 'asc' ? 'arrowUp' : direction === 'desc' ? 'arrowDown' : 'sort', 'icon icon-small sort-icon'));
  button.addEventListener('click', () => onSort(column.sort, next));
  return h('th', {
    scope: 'col',
    class: classes,
    'aria-sort': direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : null,
  }, button);
}

/**
 * Fills `container` with the chips of `items` ({key, label, value}): each removes itself
 * (`onRemove(key)`), and with more than one, "Clear all" (`onClearAll`). Hidden when empty.
 */
export function renderChips(container, items, { onRemove, onClearAll }) {
  container.hidden = !items.length;
  replace(container,
    h('ul', { class: 'chip-list', 'aria-label': 'Active search and filters' },
      items.map((item) => h('li', { class: 'chip chip-filter', dataset: { filter: item.key } },
        h('span', { class: 'chip-text' }, h('span', { class: 'chip-label', text: `${item.label}: ` }), item.value),
        h('button', {
          type: 'button',
          class: 'chip-remove',
          'aria-label': `Remove ${item.label.toLowerCase()} “${item.value}”`,
          onClick: () => onRemove(item.key),
        }, icon('close', 'icon icon-small'))))),
    items.length > 1
      ? h('button', { type: 'button', class: 'button button-ghost button-small', text: 'Clear all', onClick: () => onClearAll() })
      : null);
}

/**
 * The pager of a list: first, previous, "Page n of m", next, last, as links to `hrefFor(page)`
 * that a plain click turns into `onPage(page, nav)` (nav: first, previous, next or last; the
 * control to focus afterwards is `a[data-page-nav=nav]`). Nothing with one page.
 */
export function pagerNav({ currentPage, lastPage, hrefFor, onPage, label }) {
  if (lastPage <= 1) return null;
  const link = (page, text, nav, iconName) => {
    const available = page >= 1 && page <= lastPage && page !== currentPage;
    if (!available) {
      return h('span', { class: 'button button-secondary button-small pager-button is-disabled', 'aria-hidden': 'true' }, icon(iconName, 'icon icon-small'));
    }
    const anchor = h('a', {
      class: 'button button-secondary button-small pager-button',
      href: hrefFor(page),
      'aria-label': text,
      title: text,
      dataset: { pageNav: nav },
    }, icon(iconName, 'icon icon-small'));
    anchor.addEventListener('click', (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      onPage(page, nav);
    });
    return anchor;
  };
  return h('nav', { class: 'pagination', 'aria-label': label },
    link(1, 'First page', 'first', 'chevronsLeft'),
    link(currentPage - 1, 'Previous page', 'previous', 'chevronLeft'),
    h('span', { class: 'pager-text', text: `Page ${count(currentPage)} of ${count(lastPage)}` }),
    link(currentPage + 1, 'Next page', 'next', 'chevronRight'),
    link(lastPage, 'Last page', 'last', 'chevronsRight'));
}

/**
 * A list's "Export CSV" button: `query()` gives the list's current filters, sort and columns
 * when clicked, and download.js (loaded then, not with the list) fetches the file. Disabled,
 * with the reason, for roles that may not call `route`.
 */
export function exportButton({ path, route, filename, query = () => ({}), label = 'Export CSV', doing = 'export lists' }) {
  const button = h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'export' } },
    icon('download'), h('span', { text: label }));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const { download } = await import('./download.js');
      await download(path, filename, query());
      toast('Export downloaded.');
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return permit(button, route, doing);
}
