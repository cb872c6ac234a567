// #/companies: the company list (issue 24). Search, filters, "my companies", sort and page
// live in the hash's query (#/companies?q=acme&country=HR&sort=name&order=asc&page=2), as the
// customer list's do; the pieces both lists share are components/list.js. Deleting a company
// asks first and can be undone for ten seconds (components/undo.js).

import { api } from '../api.js';
import { h, icon, replace, uid } from '../dom.js';
import { confirmDialog } from '../components/dialog.js';
import { field } from '../components/form.js';
import { count, countryName, money, placeText } from '../components/format.js';
import { exportButton, loadWithView, pagerNav, renderChips, pageListTools, sortHeader, tagList, viewParam } from '../components/list.js';
import { members, ownerName } from '../components/owners.js';
import { emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { permit, permitQuiet } from '../components/permit.js';
import { deleteWithUndo, isPendingDelete } from '../components/undo.js';

let stylesheetAdded = false;

/** The company pages' stylesheet, added once. */
export function companyStyles() {
  if (stylesheetAdded) return;
  stylesheetAdded = true;
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/companies.css' }));
}

/** sessionStorage: the list's last query, so that a profile's "Companies" link returns to it. */
export const COMPANY_LIST_QUERY_KEY = 'entercrm.companies.query';

export const COMPANY_SIZES = ['1-10', '11-50', '51-200', '201-500', '501-1000', '1001-5000', '5001-10000', '10000+'];

const DEFAULTS = { sort: 'created_at', order: 'desc', page: 1, per_page: 25 };
const PER_PAGE_OPTIONS = [10, 25, 50, 100];
const FILTERS = [
  { name: 'country', label: 'Country' },
  { name: 'industry', label: 'Industry' },
  { name: 'size', label: 'Size' },
  { name: 'tag', label: 'Tag' },
];
const SORT_OPTIONS = [
  ['created_at', 'desc', 'Newest first'],
  ['created_at', 'asc', 'Oldest first'],
  ['name', 'asc', 'Name, A to Z'],
  ['name', 'desc', 'Name, Z to A'],
  ['revenue_total', 'desc', 'Highest revenue'],
  ['revenue_total', 'asc', 'Lowest revenue'],
  ['customers_count', 'desc', 'Most customers'],
  ['customers_count', 'asc', 'Fewest customers'],
  ['updated_at', 'desc', 'Recently updated'],
];
const SORT_FIELDS = new Set(SORT_OPTIONS.map(([sort]) => sort));
// Sorts without a column of their own (the sort select has them).
const SORT_LABELS = { created_at: { sortLabel: 'created' }, updated_at: { sortLabel: 'last update' } };
const COLUMNS = [
  { key: 'company', label: 'Company', sort: 'name', first: 'asc', sortLabel: 'name' },
  { key: 'industry', label: 'Industry and place' },
  { key: 'customers', label: 'Customers', sort: 'customers_count', first: 'desc', numeric: true, sortLabel: 'customers' },
  { key: 'revenue', label: 'Revenue', sort: 'revenue_total', first: 'desc', numeric: true, sortLabel: 'revenue' },
  { key: 'owner', label: 'Owner' },
  { key: 'actions', label: 'Actions' },
];

function positiveInt(text, fallback) {
  const value = Number.parseInt(text || '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function readState(query) {
  const filters = {};
  for (const filter of FILTERS) {
    const value = (query.get(filter.name) || '').trim();
    if (value && (filter.name !== 'size' || COMPANY_SIZES.includes(value))) filters[filter.name] = value;
  }
  const perPage = positiveInt(query.get('per_page'), DEFAULTS.per_page);
  return {
    view: viewParam(query),
    q: (query.get('q') || '').trim(),
    filters,
    mine: query.get('owner_id') === 'me',
    sort: SORT_FIELDS.has(query.get('sort')) ? query.get('sort') : DEFAULTS.sort,
    order: query.get('order') === 'asc' || query.get('order') === 'desc' ? query.get('order') : DEFAULTS.order,
    page: positiveInt(query.get('page'), DEFAULTS.page),
    per_page: PER_PAGE_OPTIONS.includes(perPage) ? perPage : DEFAULTS.per_page,
  };
}

function stateQuery(state) {
  const params = new URLSearchParams();
  if (state.view) params.set('view', state.view);
  if (state.q) params.set('q', state.q);
  for (const filter of FILTERS) if (state.filters[filter.name]) params.set(filter.name, state.filters[filter.name]);
  if (state.mine) params.set('owner_id', 'me');
  if (state.sort !== DEFAULTS.sort || state.order !== DEFAULTS.order) {
    params.set('sort', state.sort);
    params.set('order', state.order);
  }
  if (state.page !== DEFAULTS.page) params.set('page', String(state.page));
  if (state.per_page !== DEFAULTS.per_page) params.set('per_page', String(state.per_page));
  return params.toString();
}

function listHash(state) {
  const text = stateQuery(state);
  return `#/companies${text ? `?${text}` : ''}`;
}

/** The list's address with its last search, filters and page. */
export function companyListRoute() {
  let stored = '';
  try {
    stored = sessionStorage.getItem(COMPANY_LIST_QUERY_KEY) || '';
  } catch {
    stored = '';
  }
  return `/companies${stored ? `?${stored}` : ''}`;
}

function apiQuery(state) {
  const query = { page: state.page, per_page: state.per_page, sort: state.sort, order: state.order, ...state.filters };
  if (state.q) query.q = state.q;
  if (state.mine) query.owner_id = 'me';
  return query;
}

/**
 * Asks, then deletes `company` with ten seconds to undo. `leave()`: goes elsewhere first (a
 * profile goes to the list, where the undo window then belongs); `hide`/`restore` take it off
 * the page and back.
 */
export async function deleteCompany(company, { leave, hide, restore, done } = {}) {
  const customers = Number(company.customers_count) || 0;
  const ok = await confirmDialog({
    title: `Delete ${company.name}?`,
    message: customers
      ? `Its ${count(customers)} customer${customers === 1 ? '' : 's'} stay, without a company. You can undo for ten seconds.`
      : 'You can undo for ten seconds.',
    confirmLabel: 'Delete company',
    danger: true,
  });
  if (!ok) return false;
  if (leave) leave();
  deleteWithUndo({ label: `the company “${company.name}”`, path: `/v1/companies/${company.id}`, hide, restore, done });
  return true;
}

export function render({ query }) {
  companyStyles();
  let state = readState(query);
  let filtersOpen = false;
  let loadCount = 0;
  let searchTimer = null;
  let owners = [];
  members().then((list) => { owners = list; }).catch(() => {});
  remember();

  // Search ------------------------------------------------------------------------------
  const searchId = uid('company-search');
  const searchInput = h('input', {
    id: searchId, class: 'search-input', type: 'search', name: 'q', value: state.q,
    placeholder: 'Search by name or domain', autocomplete: 'off', spellcheck: 'false', enterkeyhint: 'search',
  });
  const searchForm = h('form', { class: 'search-field', role: 'search', novalidate: true },
    h('label', { for: searchId, class: 'visually-hidden', text: 'Search companies by name or domain' }),
    icon('search', 'icon search-icon'),
    searchInput);
  searchInput.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search('replace'), 350);
  });
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    search('push');
  });
  function search(mode) {
    const q = searchInput.value.trim();
    if (q !== state.q) update({ q, page: 1 }, { history: mode });
  }

  // Sort, "my companies", filters ---------------------------------------------------------
  const sortId = uid('company-sort');
  const sortSelect = h('select', { id: sortId, class: 'select-compact', name: 'sort' },
    SORT_OPTIONS.map(([sort, order, label]) => h('option', { value: `${sort}:${order}`, text: label })));
  sortSelect.addEventListener('change', () => {
    const [sort, order] = sortSelect.value.split(':');
    update({ sort, order, page: 1 });
  });
  const mineButton = h('button', {
    type: 'button', class: 'button button-secondary mine-button', 'aria-pressed': String(state.mine), dataset: { action: 'mine' },
    onClick: () => update({ mine: !state.mine, page: 1 }, { focus: 'mine' }),
  }, icon('user'), h('span', { class: 'mine-label', text: 'My companies' }));
  const filterCount = h('span', { class: 'filter-count', hidden: true });
  const filtersButton = h('button', { type: 'button', class: 'button button-secondary filters-button', 'aria-expanded': 'false', dataset: { action: 'filters' } },
    icon('filter'), h('span', { text: 'Filters' }), filterCount);
  const filtersForm = h('form', { class: 'filters-form', novalidate: true, 'aria-label': 'Filter companies' },
    h('div', { class: 'filters-grid' },
      field({ label: 'Country', name: 'country', maxlength: 64, autocomplete: 'off', placeholder: 'e.g. HR', hint: 'Country code, as stored' }),
      field({ label: 'Industry', name: 'industry', maxlength: 120, autocomplete: 'off', placeholder: 'e.g. Software' }),
      field({ label: 'Size', name: 'size', type: 'select', options: [{ value: '', label: 'Any size' }, ...COMPANY_SIZES.map((s) => ({ value: s, label: `${s} people` }))] }),
      field({ label: 'Tag', name: 'tag', maxlength: 120, autocomplete: 'off', placeholder: 'e.g. Partner' })),
    h('div', { class: 'filters-actions' },
      h('button', { type: 'button', class: 'button button-ghost', text: 'Clear filters', onClick: () => clearFilters() }),
      h('button', { type: 'submit', class: 'button button-primary', text: 'Apply filters' })));
  const filtersPanel = h('div', { class: 'filters-panel', id: uid('company-filters'), hidden: true }, filtersForm);
  filtersButton.setAttribute('aria-controls', filtersPanel.id);
  filtersButton.addEventListener('click', () => setFiltersOpen(!filtersOpen));
  filtersPanel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    setFiltersOpen(false);
    filtersButton.focus();
  });
  filtersForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const filters = {};
    for (const filter of FILTERS) {
      let value = filtersForm.elements[filter.name].value.trim();
      if (filter.name === 'country' && /^[a-z]{2}$/i.test(value)) value = value.toUpperCase();
      if (value) filters[filter.name] = value;
    }
    setFiltersOpen(false);
    update({ filters, page: 1 }, { focus: 'filters' });
  });
  function setFiltersOpen(open) {
    filtersOpen = open;
    filtersPanel.hidden = !open;
    filtersButton.setAttribute('aria-expanded', String(open));
    if (!open) return;
    for (const filter of FILTERS) filtersForm.elements[filter.name].value = state.filters[filter.name] || '';
    filtersForm.elements.country.focus();
  }
  function clearFilters() {
    for (const filter of FILTERS) filtersForm.elements[filter.name].value = '';
    if (Object.keys(state.filters).length) update({ filters: {}, page: 1 });
    filtersForm.elements.country.focus();
  }

  const chips = h('div', { class: 'active-filters', hidden: true });
  function syncChips() {
    const items = [];
    if (state.q) items.push({ key: 'q', label: 'Search', value: state.q });
    for (const filter of FILTERS) if (state.filters[filter.name]) items.push({ key: filter.name, label: filter.label, value: state.filters[filter.name] });
    if (state.mine) items.push({ key: 'owner_id', label: 'Owner', value: 'Me' });
    const active = Object.keys(state.filters).length;
    filterCount.textContent = active ? String(active) : '';
    filterCount.hidden = !active;
    filtersButton.setAttribute('aria-label', active ? `Filters, ${active} active` : 'Filters');
    mineButton.setAttribute('aria-pressed', String(state.mine));
    mineButton.classList.toggle('is-active', state.mine);
    renderChips(chips, items, { onRemove: removeFilter, onClearAll: clearAll });
  }
  function removeFilter(key) {
    if (key === 'q') {
      searchInput.value = '';
      update({ q: '', page: 1 }, { focus: 'search' });
    } else if (key === 'owner_id') {
      update({ mine: false, page: 1 }, { focus: 'chips' });
    } else {
      const filters = { ...state.filters };
      delete filters[key];
      update({ filters, page: 1 }, { focus: 'chips' });
    }
  }
  function clearAll() {
    searchInput.value = '';
    update({ q: '', filters: {}, mine: false, page: 1 }, { focus: 'search' });
  }

  // The list --------------------------------------------------------------------------------
  const status = h('p', { class: 'list-status muted', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { class: 'customers-results' }, loadingState('Loading companies…'));
  const perPageId = uid('per-page');
  const perPageSelect = h('select', { id: perPageId, class: 'select-compact', name: 'per_page' },
    PER_PAGE_OPTIONS.map((value) => h('option', { value: String(value), text: String(value) })));
  perPageSelect.addEventListener('change', () => update({ per_page: Number(perPageSelect.value), page: 1 }, { focus: 'per-page' }));
  const pager = h('div', { class: 'pager' });
  const footer = h('div', { class: 'table-footer customers-footer', hidden: true },
    status,
    h('div', { class: 'footer-controls' },
      h('div', { class: 'toolbar-control' }, h('label', { for: perPageId, class: 'toolbar-label', text: 'Per page' }), perPageSelect),
      pager));
  const newButton = h('a', { class: 'button button-primary', href: '#/companies/new', dataset: { action: 'new-company' } },
    icon('plus'), h('span', { text: 'New company' }));

  // Saved views as tabs, and the selection's bulk actions.
  const tools = pageListTools('companies', ['company', 'companies'], { state: () => state, apiQuery, load });
  const { views, selection } = tools;

  const root = h('div', { class: 'page page-companies' },
    pageHeader({
      title: 'Companies',
      description: 'The organisations your customers work for, with their customers and the revenue they bring.',
      actions: [
        permit(h('a', { class: 'button button-secondary', href: '#/imports/new?target=companies', dataset: { action: 'import' } },
          icon('upload'), h('span', { text: 'Import' })), 'POST /v1/imports', 'import companies'),
        // The list as on screen: its filters and sort, every page.
        exportButton({ path: '/v1/companies/export.csv', route: 'GET /v1/companies/export.csv', filename: 'companies.csv', doing: 'export companies',
          query: () => { const { page: _page, per_page: _perPage, ...query } = apiQuery(state); return query; } }),
        permit(newButton, 'POST /v1/companies', 'add companies'),
      ],
    }),
    views,
    h('section', { class: 'card card-customers card-companies', 'aria-label': 'Company list' },
      h('div', { class: 'customers-toolbar' },
        searchForm,
        h('div', { class: 'toolbar-group' },
          h('div', { class: 'toolbar-control' }, h('label', { for: sortId, class: 'toolbar-label', text: 'Sort' }), sortSelect),
          mineButton, filtersButton)),
      filtersPanel,
      chips,
      selection.pageToggle,
      selection.bar,
      results,
      footer));

  function remember() {
    try {
      sessionStorage.setItem(COMPANY_LIST_QUERY_KEY, stateQuery(state));
    } catch {
      // Storage unavailable: the profile links to the plain list.
    }
  }

  function syncControls() {
    if (document.activeElement !== searchInput) searchInput.value = state.q;
    sortSelect.value = `${state.sort}:${state.order}`;
    if (!sortSelect.value) sortSelect.value = `${DEFAULTS.sort}:${DEFAULTS.order}`;
    perPageSelect.value = String(state.per_page);
    syncChips();
  }

  function update(changes, { history: mode = 'push', focus = null } = {}) {
    if (!root.isConnected) return;
    state = { ...state, ...changes };
    const hash = listHash(state);
    if (location.hash !== hash) {
      if (mode === 'replace') history.replaceState(history.state, '', hash);
      else history.pushState(history.state, '', hash);
    }
    remember();
    syncControls();
    load(focus);
  }

  async function load(focus = null) {
    const current = ++loadCount;
    results.setAttribute('aria-busy', 'true');
    results.classList.add('is-loading');
    try {
      const result = await api.get('/v1/companies', { query: apiQuery(state) });
      if (current !== loadCount || !root.isConnected) return;
      const meta = result?.meta || {};
      const lastPage = Math.max(1, Number(meta.last_page) || 1);
      if (state.page > lastPage) {
        update({ page: lastPage }, { history: 'replace', focus });
        return;
      }
      await members().then((list) => { owners = list; }).catch(() => {});
      if (current !== loadCount || !root.isConnected) return;
      renderResults((result?.data || []).filter((c) => !isPendingDelete(`/v1/companies/${c.id}`)), meta);
    } catch (error) {
      if (current !== loadCount || !root.isConnected || error.handled) return;
      footer.hidden = true;
      replace(results, h('div', { class: 'results-message' },
        errorState(error, () => { replace(results, loadingState('Loading companies…')); load(); }),
        error.status === 422 ? h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Reset the list', onClick: () => clearAll() }) : null));
    } finally {
      if (current === loadCount) {
        results.removeAttribute('aria-busy');
        results.classList.remove('is-loading');
      }
    }
    let target = null;
    if (focus?.startsWith('sort:')) target = results.querySelector(`[data-sort="${CSS.escape(focus.slice(5))}"]`);
    else if (focus?.startsWith('page:')) target = pager.querySelector(`a[data-page-nav="${CSS.escape(focus.slice(5))}"]`) || pager.querySelector('a');
    else if (focus === 'per-page') target = perPageSelect;
    else if (focus === 'search') target = searchInput;
    else if (focus === 'filters') target = filtersButton;
    else if (focus === 'mine') target = mineButton;
    else if (focus === 'chips') target = chips.querySelector('.chip-remove') || filtersButton;
    if (focus) (target || root.querySelector('h1'))?.focus();
  }

  function renderResults(companies, meta) {
    const total = Number(meta.total ?? companies.length);
    const currentPage = Number(meta.current_page || state.page);
    const perPage = Number(meta.per_page || state.per_page);
    if (!companies.length) {
      footer.hidden = true;
      const filtered = state.q || Object.keys(state.filters).length || state.mine;
      status.textContent = filtered ? 'No companies match.' : 'No companies yet.';
      replace(results, filtered
        ? emptyState({ title: 'No companies match', text: 'Try another search, or remove a filter.', iconName: 'search',
          action: h('button', { type: 'button', class: 'button button-secondary', text: 'Clear search and filters', onClick: () => clearAll() }) })
        : emptyState({ title: 'No companies yet', text: 'Add the companies your customers work for, then link customers to them.', iconName: 'building',
          action: permit(h('a', { class: 'button button-primary', href: '#/companies/new', text: 'Add a company' }), 'POST /v1/companies', 'add companies') }));
      return;
    }
    const sortColumn = COLUMNS.find((column) => column.sort === state.sort) || SORT_LABELS[state.sort];
    tools.shown(companies.map((company) => company.id), total);
    const table = h('table', { class: 'table table-companies' },
      h('caption', { class: 'visually-hidden', text: `Companies, sorted by ${sortColumn ? sortColumn.sortLabel : state.sort.replace(/_/g, ' ')}, ${state.order === 'asc' ? 'ascending' : 'descending'}` }),
      h('thead', {}, h('tr', {}, selection.headerCell(), COLUMNS.map((column) => column.key === 'actions'
        ? h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'visually-hidden', text: column.label }))
        : sortHeader(column, state, (sort, order) => update({ sort, order, page: 1 }, { focus: `sort:${sort}` }))))),
      h('tbody', {}, companies.map(companyRow)));
    replace(results, tableWrap(table, 'Companies'));
    const first = (currentPage - 1) * perPage + 1;
    const last = Math.min(total, first + companies.length - 1);
    status.textContent = total <= companies.length && currentPage === 1
      ? `${count(total)} compan${total === 1 ? 'y' : 'ies'}`
      : `Showing ${count(first)}–${count(last)} of ${count(total)} companies`;
    replace(pager, pagerNav({
      currentPage,
      lastPage: Math.max(1, Number(meta.last_page) || 1),
      label: 'Company pages',
      hrefFor: (page) => listHash({ ...state, page }),
      onPage: (page, nav) => update({ page }, { focus: `page:${nav}` }),
    }));
    footer.hidden = false;
  }

  function companyRow(company) {
    const href = `#/companies/${encodeURIComponent(company.id)}`;
    const place = placeText(company.city, company.country);
    const owner = ownerName(company.owner_id, owners);
    const row = h('tr', { dataset: { companyId: company.id, domain: company.domain || '' } });
    const remove = permitQuiet(h('button', {
      type: 'button', class: 'icon-button', 'aria-label': `Delete ${company.name}`, title: 'Delete', dataset: { action: 'delete-company' },
      onClick: () => deleteCompany(company, {
        hide: () => { row.hidden = true; },
        restore: () => { row.hidden = false; },
        done: () => { if (root.isConnected) load(); },
      }),
    }, icon('trash')), 'DELETE /v1/companies/{id}', 'delete companies');
    row.append(
      selection.rowCell(company.id, company.name),
      h('td', { class: 'col-company' },
        h('div', { class: 'person' },
          h('span', { class: 'company-mark', 'aria-hidden': 'true' }, icon('building', 'icon icon-small')),
          h('div', { class: 'person-text' },
            h('a', { class: 'person-name company-link', href, text: company.name }),
            company.domain ? h('span', { class: 'person-email', text: company.domain }) : null,
            tagList(company.tags)))),
      h('td', { class: ['col-industry', !company.industry && !place && 'is-empty'] },
        company.industry ? h('span', { class: 'company-industry', text: company.industry }) : null,
        place ? h('span', { class: 'cell-sub place', title: place, text: company.city ? `${company.city}${company.country ? `, ${countryName(company.country)}` : ''}` : countryName(company.country) }) : null,
        !company.industry && !place ? h('span', { class: 'muted', text: '—' }) : null),
      h('td', { class: 'cell-number col-customers' }, count(company.customers_count, '0'),
        h('span', { class: 'cell-unit', text: Number(company.customers_count) === 1 ? ' customer' : ' customers' })),
      h('td', { class: 'cell-number col-revenue' }, money(company.revenue_total, { empty: money(0) })),
      h('td', { class: 'col-owner' }, owner ? h('span', { text: owner }) : h('span', { class: 'muted', text: 'No owner' })),
      h('td', { class: 'col-actions' }, remove));
    return row;
  }

  syncControls();
  // #/companies?view=ID (a tab): the view's filters and sort first, written into the address.
  const apply = (next) => { state = next; remember(); syncControls(); };
  loadWithView(query, state, { readState, hashFor: listHash, alive: () => root.isConnected, apply, load });
  return root;
}
