// The pieces of a list page that the customer, company and entry lists share: sortable column
// headers, the active search and filters as removable chips, the pager, the saved views as
// tabs above the list (the address names the view: #/customers?view=12), and the selection of
// rows for bulk actions, and the export button. What only a click needs loads with the first click: the bulk actions'
// dialogs (bulk.js) and the views' (view-actions.js).

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { session } from '../session.js';
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

/** A record's tags as small labels (nothing without tags). */
export function tagList(tags) {
  if (!tags?.length) return null;
  return h('ul', { class: 'tag-list', 'aria-label': 'Tags' }, tags.map((tag) => h('li', { class: 'tag-chip', text: tag })));
}

// Saved views ---------------------------------------------------------------------------------

/** The `view` of a list's address: a view id, or '' (none). */
export function viewParam(query) {
  const id = (query.get('view') || '').trim();
  return /^\d+$/.test(id) ? id : '';
}

/**
 * A view as the query of its list's address (its filters, sort and id), for the page's own
 * `readState`: date-times become the days the date filters show, the paging keys stay out.
 */
export function viewQuery(view) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(view.filters || {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      let text = String(item);
      if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
        const date = new Date(text);
        if (key.endsWith('_before')) date.setDate(date.getDate() - 1);
        text = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
      }
      params.append(key, text);
    }
  }
  if (view.sort?.field) {
    params.set('sort', view.sort.field);
    params.set('order', view.sort.order || 'desc');
  }
  params.set('view', String(view.id));
  return params;
}

/** The filters of a list's API query, without its paging and sort (what a view or a bulk action keeps). */
export function listFilters(query) {
  const filters = { ...query };
  for (const key of ['page', 'per_page', 'sort', 'order']) delete filters[key];
  return filters;
}

/**
 * The view `id` of `list`, for a page opened on #/…?view=ID with nothing else in its address:
 * resolves to the view, or null (gone, or another's private view: the list shows unfiltered).
 */
export async function openView(id) {
  try {
    return await api.get(`/v1/views/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    toast('That view no longer exists.', 'info');
    return null;
  }
}

/**
 * Starts a list page: on #/…?view=ID alone, reads the view first and writes its filters and
 * sort into the address (`readState` of the view's query, `hashFor` of the state), hands the
 * state to `apply`, then calls `load()`; otherwise `load()` at once.
 */
export function loadWithView(query, state, { readState, hashFor, alive, apply, load }) {
  if (!state.view || [...query.keys()].length !== 1) {
    load();
    return;
  }
  const here = location.hash;
  openView(state.view).then((view) => {
    // Gone elsewhere meanwhile (the router may draw the next page a moment later).
    if (!alive() || location.hash !== here) return;
    const next = view ? { ...readState(viewQuery(view)), view: state.view } : { ...state, view: '' };
    history.replaceState(history.state, '', hashFor(next));
    apply(next);
    load();
  }).catch(() => load());
}

/**
 * The views of `list` as tabs: "All", then each view the caller sees (links to `hrefFor(view)`,
 * `hrefFor(null)` for All), the active one `currentId`; then Save view (the list as it is now,
 * `current()` → {filters, sort, columns}), and for the active view Update, Rename and Delete
 * (its creator or an admin). Loads itself; returns the element.
 */
export function viewTabs({ list, currentId, current, hrefFor, label = 'Saved views' }) {
  const root = h('div', { class: 'view-bar' });
  const tabs = h('nav', { class: 'view-tabs', 'aria-label': label });
  const actions = h('div', { class: 'view-actions' });
  root.append(tabs, actions);
  let views = [];
  const canSave = session.can('POST /v1/views');

  function tab(view) {
    const active = view ? String(view.id) === String(currentId) : !currentId;
    return h('a', {
      class: ['view-tab', active && 'is-active'],
      href: hrefFor(view),
      'aria-current': active ? 'page' : null,
      dataset: { viewId: view ? view.id : '' },
      title: view ? `${view.name}${view.shared ? ' (shared with the workspace)' : ' (only you)'}` : null,
    }, view && !view.shared ? icon('lock', 'icon icon-small') : null, h('span', { text: view ? view.name : 'All' }));
  }

  function draw() {
    replace(tabs, tab(null), views.map(tab));
    const active = views.find((v) => String(v.id) === String(currentId));
    const mine = active && (active.user_id === session.me?.user?.id || ['owner', 'admin'].includes(session.me?.role));
    // The dialogs and calls load with the first click (view-actions.js).
    const run = (name, ...args) => import('./view-actions.js').then((m) => m[name]({ list, current, hrefFor, redraw }, ...args));
    const button = (text, action, onClick) => h('button', { type: 'button', class: 'button button-ghost button-small', text, dataset: { action }, onClick });
    replace(actions,
      canSave ? button('Save view', 'save-view', () => run('saveAs')) : null,
      active && mine && canSave ? button('Update view', 'update-view', () => run('change', active, { ...current() }, 'Saved')) : null,
      active && mine && canSave ? button('Rename', 'rename-view', () => run('rename', active)) : null,
      active && mine && canSave ? button('Delete', 'delete-view', () => run('remove', active)) : null);
  }

  /** After a change: the view as saved, in its tab. */
  function redraw(saved) {
    views = views.map((v) => (v.id === saved.id ? saved : v));
    draw();
  }

  async function load() {
    try {
      views = (await api.get('/v1/views', { query: { list } }))?.data || [];
    } catch {
      views = [];
    }
    draw();
  }

  draw();
  load();
  return root;
}

/** The first field message of a 422, else the error's message. */
export function firstError(error) {
  const fields = error?.errors ? Object.values(error.errors) : [];
  return fields.length && fields[0].length ? fields[0][0] : error.message;
}

/**
 * A list page's saved views and selection together: the tabs of `list` (links
 * `#/${route}?view=ID`) and the selection of `target` (see `bulkSelection` for `noun`, `onDone`
 * and the rest), both reading the page's current API filters `filters()` and sort `sort()`.
 * `shown(ids, total)` tells them the page drawn.
 */
export function listTools({ list, route, currentId, filters, sort, ...selectionOptions }) {
  let total = 0;
  const views = viewTabs({
    list,
    currentId,
    current: () => ({ filters: filters(), sort: sort() }),
    hrefFor: (view) => (view ? `#/${route}?view=${view.id}` : `#/${route}`),
  });
  const selection = bulkSelection({ ...selectionOptions, filter: filters, total: () => total });
  return {
    views,
    selection,
    shown(ids, count) {
      total = count;
      selection.page(ids);
    },
  };
}

/**
 * `listTools` of the customer and company pages, whose list, route and target are one `name`:
 * `state()` the page's state ({view, sort, order, …}), `apiQuery(state)` its API query.
 */
export function pageListTools(name, noun, { state, apiQuery, load, actions }) {
  return listTools({
    actions,
    list: name,
    route: name,
    target: name,
    noun,
    currentId: state().view,
    filters: () => listFilters(apiQuery(state())),
    sort: () => ({ field: state().sort, order: state().order }),
    onDone: () => load(),
  });
}

// Selection and bulk actions -------------------------------------------------------------------

/**
 * The selection of a list's rows: a checkbox column (`headerCell()`, `rowCell(id, name)`), and
 * above the list the bar ("3 selected", "Select all 312 matching", the actions) that appears
 * with the first selection. `target`: customers, companies or entries (`entityId`); `filter()`:
 * the list's current filters (as the API takes them); `total()`: how many match; `noun`:
 * [singular, plural]; `onDone()`: reload the list after an action; `stages` ({id, label}): where
 * move_stage may move entries. Long (about 100 lines): one closure holds the selection (ids,
 * or "all matching") that the header box, the phone's page box, each row's box and the bar share.
 */
export function bulkSelection({ target, entityId = null, filter, total, noun, onDone, actions, stages = [] }) {
  actions ||= ['add_tags', 'remove_tags', 'set_owner', 'set_field', 'delete'];
  const selected = new Set();
  let allMatching = false;
  let pageToggle = null;
  let pageIds = [];
  const bar = h('div', { class: 'bulk-bar', hidden: true, role: 'region', 'aria-label': 'Bulk actions' });
  let headerBox = null;

  const plural = (n) => `${count(n)} ${n === 1 ? noun[0] : noun[1]}`;
  const selection = () => (allMatching ? { filter: filter() } : { ids: [...selected].map((id) => (target === 'entries' ? id : Number(id))) });
  const size = () => (allMatching ? total() : selected.size);

  function drawBar() {
    const n = size();
    bar.hidden = n === 0;
    for (const box of [headerBox, mobileBox]) {
      if (!box) continue;
      box.checked = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
      box.indeterminate = !box.checked && pageIds.some((id) => selected.has(id));
    }
    pageToggle.hidden = !pageIds.length;
    if (!n) return;
    const everyOnPage = pageIds.length && pageIds.every((id) => selected.has(id));
    const more = !allMatching && everyOnPage && total() > selected.size
      ? h('button', { type: 'button', class: 'button button-ghost button-small', dataset: { action: 'select-all-matching' },
        text: `Select all ${count(total())} matching`, onClick: () => { allMatching = true; drawBar(); } })
      : null;
    const run = (type) => import('./bulk.js').then((m) => m.runBulk({ type, target, entityId, selection: selection(), plural, stages, done }));
    const button = (type, text, route, doing, danger = false) => {
      const control = h('button', { type: 'button', class: ['button', 'button-small', danger ? 'button-danger' : 'button-secondary'], text, dataset: { bulk: type }, onClick: () => run(type) });
      if (!session.can(route)) {
        control.disabled = true;
        control.title = session.reason(route, doing);
      }
      return control;
    };
    const deleteRoute = target === 'entries' ? 'DELETE /api/brands/{brand}/crm/entries/{entry}' : `DELETE /v1/${target}/{id}`;
    replace(bar,
      h('span', { class: 'bulk-count', role: 'status', text: allMatching ? `All ${plural(n)} matching selected` : `${plural(n)} selected` }),
      more,
      h('div', { class: 'bulk-actions' },
        actions.includes('add_tags') ? button('add_tags', 'Add tag', 'POST /v1/bulk', 'change records in bulk') : null,
        actions.includes('remove_tags') ? button('remove_tags', 'Remove tag', 'POST /v1/bulk', 'change records in bulk') : null,
        actions.includes('set_owner') ? button('set_owner', 'Set owner', 'POST /v1/bulk', 'change records in bulk') : null,
        actions.includes('set_field') ? button('set_field', 'Set field', 'POST /v1/bulk', 'change records in bulk') : null,
        actions.includes('move_stage') ? button('move_stage', 'Move to stage', 'POST /v1/bulk', 'change records in bulk') : null,
        actions.includes('add_to_campaign') ? button('add_to_campaign', 'Add to campaign', 'POST /v1/bulk', 'change records in bulk') : null,
        actions.includes('delete') ? button('delete', 'Delete', deleteRoute, `delete ${noun[1]}`, true) : null,
        h('button', { type: 'button', class: 'button button-ghost button-small', text: 'Clear', dataset: { action: 'clear-selection' }, onClick: () => clear() })));
  }

  function done() {
    clear();
    onDone();
  }

  function pageBox(label) {
    const box = h('input', { type: 'checkbox', class: 'select-box', 'aria-label': label });
    box.addEventListener('change', () => {
      allMatching = false;
      for (const id of pageIds) {
        if (box.checked) selected.add(id); else selected.delete(id);
      }
      for (const row of document.querySelectorAll('input[data-select-row]')) row.checked = box.checked;
      drawBar();
    });
    return box;
  }
  const mobileBox = pageBox(`Select every ${noun[0]} on this page`);
  mobileBox.dataset.selectPageMobile = '';
  pageToggle = h('label', { class: 'select-page-toggle' }, mobileBox, h('span', { text: 'Select this page' }));

  function clear() {
    selected.clear();
    allMatching = false;
    for (const box of document.querySelectorAll('input[data-select-row]')) box.checked = false;
    drawBar();
  }

  return {
    bar,
    clear,
    /** Call with the ids of the page drawn (a new page keeps a selection of ids, not "all"). */
    page(ids) {
      pageIds = ids.map(String);
      drawBar();
    },
    headerCell() {
      headerBox = pageBox(`Select every ${noun[0]} on this page`);
      headerBox.dataset.selectPage = '';
      return h('th', { scope: 'col', class: 'col-select' }, headerBox);
    },
    /** The same "this page" box for narrow screens, where the header row is not shown. */
    pageToggle,
    rowCell(id, name) {
      const box = h('input', { type: 'checkbox', class: 'select-box', checked: selected.has(String(id)), 'aria-label': `Select ${name}`, dataset: { selectRow: String(id) } });
      box.addEventListener('change', () => {
        allMatching = false;
        if (box.checked) selected.add(String(id)); else selected.delete(String(id));
        drawBar();
      });
      return h('td', { class: 'col-select' }, box);
    },
  };
}
