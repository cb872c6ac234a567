// #/customers: the customer list. Search, filters, sort and page live in the hash's query
// (#/customers?q=ana&country=HR&sort=name&order=asc&page=2), so a reload or Back shows the
// same list. Changes made on the page update the address with the History API and reload
// only the list, so the search box keeps its focus while typing.

import { api } from '../api.js';
import { avatar, h, icon, replace, uid } from '../dom.js';
import { field } from '../components/form.js';
import { count, countryName, dateOnly, money, placeText, relativeTime, RFM_SEGMENTS, segmentBadge } from '../components/format.js';
import { emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { exportButton, loadWithView, pagerNav, renderChips as listChips, pageListTools, sortHeader, tagList, viewParam } from '../components/list.js';
import { permit } from '../components/permit.js';

/** sessionStorage: the list's last query, so that a profile's "Customers" link returns to it. */
export const LIST_QUERY_KEY = 'entercrm.customers.query';

const DEFAULTS = { sort: 'created_at', order: 'desc', page: 1, per_page: 25 };
const PER_PAGE_OPTIONS = [10, 25, 50, 100];
const FILTERS = [
  { name: 'country', label: 'Country' },
  { name: 'city', label: 'City' },
  { name: 'rfm_segment', label: 'RFM segment' },
  { name: 'tag', label: 'Tag' },
  { name: 'created_after', label: 'Created from', date: true },
  { name: 'created_before', label: 'Created to', date: true },
];
const SORT_OPTIONS = [
  ['created_at', 'desc', 'Newest first'],
  ['created_at', 'asc', 'Oldest first'],
  ['last_seen_at', 'desc', 'Recently seen'],
  ['last_seen_at', 'asc', 'Least recently seen'],
  ['name', 'asc', 'Name, A to Z'],
  ['name', 'desc', 'Name, Z to A'],
  ['clv_total', 'desc', 'Highest lifetime value'],
  ['clv_total', 'asc', 'Lowest lifetime value'],
  ['clv_predicted', 'desc', 'Highest predicted value'],
  ['clv_predicted', 'asc', 'Lowest predicted value'],
  ['rfm_score', 'desc', 'Highest RFM score'],
  ['rfm_score', 'asc', 'Lowest RFM score'],
  ['events_count', 'desc', 'Most events'],
  ['events_count', 'asc', 'Fewest events'],
];
const SORT_FIELDS = new Set(SORT_OPTIONS.map(([sort]) => sort));
const COLUMNS = [
  { key: 'customer', label: 'Customer', sort: 'name', first: 'asc', sortLabel: 'name' },
  { key: 'location', label: 'Location' },
  { key: 'events', label: 'Events', sort: 'events_count', first: 'desc', numeric: true, sortLabel: 'events' },
  { key: 'clv', label: 'CLV', sort: 'clv_total', first: 'desc', numeric: true, sortLabel: 'lifetime value (CLV)' },
  { key: 'rfm', label: 'RFM', sort: 'rfm_score', first: 'desc', sortLabel: 'RFM score' },
  { key: 'last_seen', label: 'Last seen', sort: 'last_seen_at', first: 'desc', sortLabel: 'last seen' },
  { key: 'created', label: 'Created', sort: 'created_at', first: 'desc', sortLabel: 'created' },
];

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

function positiveInt(text, fallback) {
  const value = Number.parseInt(text || '', 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The list's state from the hash's query; anything unknown or malformed falls back. */
function readState(query) {
  const filters = {};
  for (const filter of FILTERS) {
    const value = (query.get(filter.name) || '').trim();
    if (!value) continue;
    if (filter.date && !DATE_PATTERN.test(value)) continue;
    filters[filter.name] = value;
  }
  const sort = SORT_FIELDS.has(query.get('sort')) ? query.get('sort') : DEFAULTS.sort;
  const order = query.get('order') === 'asc' || query.get('order') === 'desc' ? query.get('order') : DEFAULTS.order;
  const perPage = positiveInt(query.get('per_page'), DEFAULTS.per_page);
  const company = (query.get('company_id') || '').trim();
  return {
    view: viewParam(query),
    q: (query.get('q') || '').trim(),
    filters,
    // A company's customers (its profile links here) and "my customers" (owner_id=me).
    company: /^\d+$/.test(company) ? company : '',
    mine: query.get('owner_id') === 'me',
    sort,
    order,
    page: positiveInt(query.get('page'), DEFAULTS.page),
    per_page: PER_PAGE_OPTIONS.includes(perPage) ? perPage : DEFAULTS.per_page,
  };
}

/** The hash's query for a state: only what differs from the defaults. */
function stateQuery(state) {
  const params = new URLSearchParams();
  if (state.view) params.set('view', state.view);
  if (state.q) params.set('q', state.q);
  for (const filter of FILTERS) {
    if (state.filters[filter.name]) params.set(filter.name, state.filters[filter.name]);
  }
  if (state.company) params.set('company_id', state.company);
  if (state.mine) params.set('owner_id', 'me');
  if (state.sort !== DEFAULTS.sort || state.order !== DEFAULTS.order) {
    params.set('sort', state.sort);
    params.set('order', state.order);
  }
  if (state.page !== DEFAULTS.page) params.set('page', String(state.page));
  if (state.per_page !== DEFAULTS.per_page) params.set('per_page', String(state.per_page));
  return params.toString();
}

export function listHash(state) {
  const text = stateQuery(state);
  return `#/customers${text ? `?${text}` : ''}`;
}

/** Midnight of a YYYY-MM-DD day (plus `days`) in the browser's time zone, as RFC 3339 UTC. */
function dayStart(text, days = 0) {
  const [year, month, day] = text.split('-').map(Number);
  const date = new Date(year, month - 1, day + days);
  return Number.isNaN(date.getTime()) ? null : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The API's query for a state. "Created to" includes its whole day. */
function apiQuery(state) {
  const query = { page: state.page, per_page: state.per_page, sort: state.sort, order: state.order };
  if (state.q) query.q = state.q;
  const { country, city, rfm_segment: segment, created_after: after, created_before: before } = state.filters;
  if (country) query.country = country;
  if (city) query.city = city;
  if (segment) query.rfm_segment = segment;
  if (state.filters.tag) query.tag = state.filters.tag;
  if (after) query.created_after = dayStart(after);
  if (before) query.created_before = dayStart(before, 1);
  if (state.company) query.company_id = state.company;
  if (state.mine) query.owner_id = 'me';
  return query;
}

function filterText(name, value) {
  if (name === 'created_after' || name === 'created_before') {
    const [year, month, day] = value.split('-').map(Number);
    const date = new Date(year, month - 1, day);
    return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }).format(date);
  }
  return value;
}

export function customerName(customer) {
  return customer.name || customer.email || customer.external_id || `Customer #${customer.id}`;
}

export function render({ query }) {
  let state = readState(query);
  let filtersOpen = false;
  let loadCount = 0;
  let searchTimer = null;
  remember();

  // Search ------------------------------------------------------------------------------
  const searchId = uid('customer-search');
  const searchInput = h('input', {
    id: searchId,
    class: 'search-input',
    type: 'search',
    name: 'q',
    value: state.q,
    placeholder: 'Search by name or email',
    autocomplete: 'off',
    spellcheck: 'false',
    enterkeyhint: 'search',
  });
  const searchForm = h('form', { class: 'search-field', role: 'search', novalidate: true },
    h('label', { for: searchId, class: 'visually-hidden', text: 'Search customers by name or email' }),
    icon('search', 'icon search-icon'),
    searchInput);
  searchInput.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search({ history: 'replace' }), 350);
  });
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(searchTimer);
    search({ history: 'push' });
  });

  function search({ history: mode }) {
    const q = searchInput.value.trim();
    if (q === state.q) return;
    update({ q, page: 1 }, { history: mode });
  }

  // Sort select (the column headers sort too) ---------------------------------------------
  const sortId = uid('customer-sort');
  const sortSelect = h('select', { id: sortId, class: 'select-compact', name: 'sort' },
    SORT_OPTIONS.map(([sort, order, label]) => h('option', { value: `${sort}:${order}`, text: label })));
  sortSelect.addEventListener('change', () => {
    const [sort, order] = sortSelect.value.split(':');
    update({ sort, order, page: 1 });
  });
  const sortControl = h('div', { class: 'toolbar-control' },
    h('label', { for: sortId, class: 'toolbar-label', text: 'Sort' }),
    sortSelect);

  // Filters -------------------------------------------------------------------------------
  const filterCount = h('span', { class: 'filter-count', hidden: true });
  const filtersButton = h('button', {
    type: 'button',
    class: 'button button-secondary filters-button',
    'aria-expanded': 'false',
    dataset: { action: 'filters' },
  }, icon('filter'), h('span', { text: 'Filters' }), filterCount);
  const segmentsListId = uid('rfm-segments');
  const filtersForm = h('form', { class: 'filters-form', novalidate: true, 'aria-label': 'Filter customers' },
    h('div', { class: 'filters-grid' },
      field({ label: 'Country', name: 'country', maxlength: 64, autocomplete: 'off', placeholder: 'e.g. HR', hint: 'Country code, as stored' }),
      field({ label: 'City', name: 'city', maxlength: 120, autocomplete: 'off', placeholder: 'e.g. Zagreb' }),
      field({ label: 'RFM segment', name: 'rfm_segment', maxlength: 64, autocomplete: 'off', list: segmentsListId, placeholder: 'e.g. Champions' }),
      field({ label: 'Tag', name: 'tag', maxlength: 120, autocomplete: 'off', placeholder: 'e.g. VIP', hint: 'Several: VIP, Newsletter (all of them)' }),
      field({ label: 'Created from', name: 'created_after', type: 'date' }),
      field({ label: 'Created to', name: 'created_before', type: 'date' })),
    h('datalist', { id: segmentsListId }, RFM_SEGMENTS.map((name) => h('option', { value: name }))),
    h('div', { class: 'filters-actions' },
      h('button', { type: 'button', class: 'button button-ghost', text: 'Clear filters', dataset: { action: 'clear-filters' }, onClick: () => clearFilters() }),
      h('button', { type: 'submit', class: 'button button-primary', text: 'Apply filters' })));
  const filtersPanel = h('div', { class: 'filters-panel', id: uid('customer-filters'), hidden: true }, filtersForm);
  filtersButton.setAttribute('aria-controls', filtersPanel.id);
  filtersButton.addEventListener('click', () => setFiltersOpen(!filtersOpen));
  filtersPanel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      setFiltersOpen(false);
      filtersButton.focus();
    }
  });
  filtersForm.addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters();
  });

  function setFiltersOpen(open) {
    filtersOpen = open;
    filtersPanel.hidden = !open;
    filtersButton.setAttribute('aria-expanded', String(open));
    if (open) {
      fillFilterForm();
      filtersForm.elements.country.focus();
    }
  }

  function fillFilterForm() {
    for (const filter of FILTERS) filtersForm.elements[filter.name].value = state.filters[filter.name] || '';
    clearFilterErrors();
  }

  function clearFilterErrors() {
    for (const wrapper of filtersForm.querySelectorAll('.field.has-error')) {
      wrapper.classList.remove('has-error');
      wrapper.querySelector('input')?.removeAttribute('aria-invalid');
      const error = wrapper.querySelector('.field-error');
      error.hidden = true;
      error.textContent = '';
    }
  }

  function applyFilters() {
    clearFilterErrors();
    const filters = {};
    for (const filter of FILTERS) {
      let value = filtersForm.elements[filter.name].value.trim();
      if (filter.name === 'country' && /^[a-z]{2}$/i.test(value)) value = value.toUpperCase();
      if (value) filters[filter.name] = value;
    }
    if (filters.created_after && filters.created_before && filters.created_after > filters.created_before) {
      const wrapper = filtersForm.querySelector('.field[data-field="created_before"]');
      const control = wrapper.querySelector('input');
      const error = wrapper.querySelector('.field-error');
      wrapper.classList.add('has-error');
      control.setAttribute('aria-invalid', 'true');
      error.textContent = 'The end date is before the start date.';
      error.hidden = false;
      control.focus();
      return;
    }
    setFiltersOpen(false);
    update({ filters, page: 1 }, { focus: 'filters' });
  }

  function clearFilters() {
    for (const filter of FILTERS) filtersForm.elements[filter.name].value = '';
    clearFilterErrors();
    if (Object.keys(state.filters).length) update({ filters: {}, page: 1 });
    filtersForm.elements.country.focus();
  }

  // "My customers": those the signed-in member owns.
  const mineButton = h('button', {
    type: 'button',
    class: 'button button-secondary mine-button',
    'aria-pressed': String(state.mine),
    dataset: { action: 'mine' },
    onClick: () => update({ mine: !state.mine, page: 1 }, { focus: 'mine' }),
  }, icon('user'), h('span', { class: 'mine-label', text: 'My customers' }));

  // The company of a company_id filter, by name.
  const companyNames = new Map();
  function companyLabel(id) {
    if (companyNames.has(id)) return companyNames.get(id);
    companyNames.set(id, `#${id}`);
    api.get(`/v1/companies/${encodeURIComponent(id)}`).then((company) => {
      companyNames.set(id, company?.name || `#${id}`);
      if (root.isConnected) renderChips();
    }).catch(() => {});
    return companyNames.get(id);
  }

  // Active filters as removable chips.
  const chips = h('div', { class: 'active-filters', hidden: true });

  function renderChips() {
    const items = [];
    if (state.q) items.push({ key: 'q', label: 'Search', value: state.q });
    for (const filter of FILTERS) {
      if (state.filters[filter.name]) items.push({ key: filter.name, label: filter.label, value: filterText(filter.name, state.filters[filter.name]) });
    }
    if (state.company) items.push({ key: 'company_id', label: 'Company', value: companyLabel(state.company) });
    if (state.mine) items.push({ key: 'owner_id', label: 'Owner', value: 'Me' });
    mineButton.setAttribute('aria-pressed', String(state.mine));
    mineButton.classList.toggle('is-active', state.mine);
    const active = Object.keys(state.filters).length;
    filterCount.textContent = active ? String(active) : '';
    filterCount.hidden = !active;
    filtersButton.setAttribute('aria-label', active ? `Filters, ${active} active` : 'Filters');
    listChips(chips, items, { onRemove: removeFilter, onClearAll: clearAll });
  }

  function removeFilter(key) {
    if (key === 'company_id' || key === 'owner_id') {
      update(key === 'company_id' ? { company: '', page: 1 } : { mine: false, page: 1 }, { focus: 'chips' });
      return;
    }
    if (key === 'q') {
      searchInput.value = '';
      update({ q: '', page: 1 }, { focus: 'search' });
      return;
    }
    const filters = { ...state.filters };
    delete filters[key];
    update({ filters, page: 1 }, { focus: 'chips' });
  }

  function clearAll() {
    searchInput.value = '';
    update({ q: '', filters: {}, company: '', mine: false, page: 1 }, { focus: 'search' });
  }

  // The list --------------------------------------------------------------------------------
  const status = h('p', { class: 'list-status muted', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { class: 'customers-results' }, loadingState('Loading customers…'));
  const perPageId = uid('per-page');
  const perPageSelect = h('select', { id: perPageId, class: 'select-compact', name: 'per_page' },
    PER_PAGE_OPTIONS.map((value) => h('option', { value: String(value), text: String(value) })));
  perPageSelect.addEventListener('change', () => update({ per_page: Number(perPageSelect.value), page: 1 }, { focus: 'per-page' }));
  const pager = h('div', { class: 'pager' });
  const footer = h('div', { class: 'table-footer customers-footer', hidden: true },
    status,
    h('div', { class: 'footer-controls' },
      h('div', { class: 'toolbar-control' },
        h('label', { for: perPageId, class: 'toolbar-label', text: 'Per page' }),
        perPageSelect),
      pager));

  // Saved views as tabs, and the selection's bulk actions.
  const tools = pageListTools('customers', ['customer', 'customers'], {
    state: () => state, apiQuery, load, actions: ['add_tags', 'remove_tags', 'set_owner', 'set_field', 'add_to_campaign', 'delete'],
  });
  const { views, selection } = tools;

  const newButton = h('a', { class: 'button button-primary', href: '#/customers/new', dataset: { action: 'new-customer' } },
    icon('plus'), h('span', { text: 'New customer' }));

  const root = h('div', { class: 'page page-customers' },
    pageHeader({
      title: 'Customers',
      description: 'Everyone your websites and servers have told EnterCRM about, with their value and activity.',
      actions: [
        permit(h('a', { class: 'button button-secondary', href: '#/imports/new?target=customers', dataset: { action: 'import' } },
          icon('upload'), h('span', { text: 'Import' })), 'POST /v1/imports', 'import customers'),
        // The list as on screen: its filters and sort, every page.
        exportButton({ path: '/v1/customers/export.csv', route: 'GET /v1/customers/export.csv', filename: 'customers.csv', doing: 'export customers',
          query: () => { const { page: _page, per_page: _perPage, ...query } = apiQuery(state); return query; } }),
        permit(newButton, 'POST /v1/customers', 'add customers'),
      ],
    }),
    views,
    h('section', { class: 'card card-customers', 'aria-label': 'Customer list' },
      h('div', { class: 'customers-toolbar' },
        searchForm,
        h('div', { class: 'toolbar-group' }, sortControl, mineButton, filtersButton)),
      filtersPanel,
      chips,
      selection.pageToggle,
      selection.bar,
      results,
      footer));

  function syncControls() {
    if (document.activeElement !== searchInput) searchInput.value = state.q;
    sortSelect.value = `${state.sort}:${state.order}`;
    if (!sortSelect.value) sortSelect.value = `${DEFAULTS.sort}:${DEFAULTS.order}`;
    perPageSelect.value = String(state.per_page);
    renderChips();
  }

  function remember() {
    try {
      sessionStorage.setItem(LIST_QUERY_KEY, stateQuery(state));
    } catch {
      // Storage unavailable: the profile links to the plain list.
    }
  }

  /** Changes the state, records it in the address (a new history entry unless 'replace'),
   * and reloads the list. `focus` names the control to focus once the list is back. */
  function update(changes, { history: mode = 'push', focus = null } = {}) {
    // A late search timer must not rewrite the address of the page that replaced this one.
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
      const result = await api.get('/v1/customers', { query: apiQuery(state) });
      if (current !== loadCount || !root.isConnected) return;
      const meta = result?.meta || {};
      const lastPage = Math.max(1, Number(meta.last_page) || 1);
      if (state.page > lastPage) {
        // A page past the end (an old link, fewer results now): show the last one.
        update({ page: lastPage }, { history: 'replace', focus });
        return;
      }
      renderResults(result?.data || [], meta);
    } catch (error) {
      if (current !== loadCount || !root.isConnected || error.handled) return;
      footer.hidden = true;
      const reset = error.status === 422
        ? h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Reset the list', onClick: () => clearAll() })
        : null;
      replace(results, h('div', { class: 'results-message' },
        errorState(error, () => { replace(results, loadingState('Loading customers…')); load(); }), reset));
    } finally {
      if (current === loadCount) {
        results.removeAttribute('aria-busy');
        results.classList.remove('is-loading');
      }
    }
    restoreFocus(focus);
  }

  function restoreFocus(focus) {
    if (!focus) return;
    let target = null;
    if (focus.startsWith('sort:')) target = results.querySelector(`[data-sort="${CSS.escape(focus.slice(5))}"]`);
    else if (focus.startsWith('page:')) target = pager.querySelector(`a[data-page-nav="${CSS.escape(focus.slice(5))}"]`) || pager.querySelector('a');
    else if (focus === 'per-page') target = perPageSelect;
    else if (focus === 'search') target = searchInput;
    else if (focus === 'filters') target = filtersButton;
    else if (focus === 'mine') target = mineButton;
    else if (focus === 'chips') target = chips.querySelector('.chip-remove') || filtersButton;
    (target || root.querySelector('h1'))?.focus();
  }

  function renderResults(customers, meta) {
    const total = Number(meta.total ?? customers.length);
    const currentPage = Number(meta.current_page || state.page);
    const perPage = Number(meta.per_page || state.per_page);
    if (!customers.length) {
      footer.hidden = true;
      const filtered = state.q || Object.keys(state.filters).length || state.company || state.mine;
      status.textContent = filtered ? 'No customers match.' : 'No customers yet.';
      replace(results, filtered
        ? emptyState({
          title: 'No customers match',
          text: 'Try another search, or remove a filter.',
          iconName: 'search',
          action: h('button', { type: 'button', class: 'button button-secondary', text: 'Clear search and filters', onClick: () => clearAll() }),
        })
        : emptyState({
          title: 'No customers yet',
          text: 'Customers appear here when your website’s tracker or your servers send events, or when you add one.',
          iconName: 'customers',
          action: h('div', { class: 'state-actions' },
            permit(h('a', { class: 'button button-primary', href: '#/customers/new', text: 'Add a customer' }), 'POST /v1/customers', 'add customers'),
            h('a', { class: 'button button-secondary', href: '#/tracking', text: 'Set up tracking' })),
        }));
      return;
    }

    const sortColumn = COLUMNS.find((column) => column.sort === state.sort);
    tools.shown(customers.map((customer) => customer.id), total);
    const table = h('table', { class: 'table table-customers' },
      h('caption', { class: 'visually-hidden', text: `Customers, sorted by ${sortColumn ? sortColumn.sortLabel : state.sort.replace(/_/g, ' ')}, ${state.order === 'asc' ? 'ascending' : 'descending'}` }),
      h('thead', {}, h('tr', {}, selection.headerCell(), COLUMNS.map(headerCell))),
      h('tbody', {}, customers.map(customerRow)));
    replace(results, tableWrap(table, 'Customers'));

    const first = (currentPage - 1) * perPage + 1;
    const last = Math.min(total, first + customers.length - 1);
    status.textContent = total <= customers.length && currentPage === 1
      ? `${count(total)} customer${total === 1 ? '' : 's'}`
      : `Showing ${count(first)}–${count(last)} of ${count(total)} customers`;
    renderPager(currentPage, Math.max(1, Number(meta.last_page) || 1));
    footer.hidden = false;
  }

  function headerCell(column) {
    return sortHeader(column, state, (sort, order) => update({ sort, order, page: 1 }, { focus: `sort:${sort}` }));
  }

  function customerRow(customer) {
    const name = customerName(customer);
    const href = `#/customers/${encodeURIComponent(customer.id)}`;
    const place = placeText(customer.city, customer.country);
    return h('tr', { dataset: { customerId: customer.id, email: customer.email || '' } },
      selection.rowCell(customer.id, name),
      h('td', { class: 'col-customer' },
        h('div', { class: 'person' },
          avatar(name),
          h('div', { class: 'person-text' },
            h('a', { class: 'person-name customer-link', href, text: name }),
            customer.name && customer.email ? h('span', { class: 'person-email', text: customer.email }) : null,
            customer.external_id ? h('span', { class: 'person-email mono', title: 'External id (Segment userId)', text: customer.external_id }) : null,
            tagList(customer.tags)))),
      h('td', { class: 'col-location' }, place
        ? h('div', { class: 'place', title: place },
          h('span', { class: 'place-city', text: customer.city || countryName(customer.country) }),
          customer.city && customer.country ? h('span', { class: 'place-country', text: countryName(customer.country) }) : null)
        : h('span', { class: 'muted', text: '—' })),
      h('td', { class: 'cell-number col-events' },
        count(customer.events_count, '0'),
        h('span', { class: 'cell-unit', text: Number(customer.events_count) === 1 ? ' event' : ' events' })),
      h('td', { class: 'cell-number col-clv' },
        h('span', { class: 'cell-main', text: money(customer.clv_total, { empty: money(0) }) }),
        customer.clv_predicted !== null && customer.clv_predicted !== undefined
          ? h('span', { class: 'cell-sub', text: `Predicted ${money(customer.clv_predicted)}` })
          : null),
      h('td', { class: ['col-rfm', !customer.rfm_segment && (customer.rfm_score === null || customer.rfm_score === undefined) && 'is-empty'] },
        customer.rfm_segment ? segmentBadge(customer.rfm_segment) : h('span', { class: 'muted', text: '—' }),
        customer.rfm_score !== null && customer.rfm_score !== undefined
          ? h('span', { class: 'cell-sub', text: `Score ${customer.rfm_score}` })
          : null),
      h('td', { class: 'nowrap col-last-seen' }, h('span', { class: 'cell-unit', text: 'Last seen ' }), relativeTime(customer.last_seen_at)),
      h('td', { class: 'nowrap col-created' }, dateOnly(customer.created_at)));
  }

  function renderPager(currentPage, lastPage) {
    replace(pager, pagerNav({
      currentPage,
      lastPage,
      label: 'Customer pages',
      hrefFor: (page) => listHash({ ...state, page }),
      onPage: (page, nav) => update({ page }, { focus: `page:${nav}` }),
    }));
  }

  syncControls();
  // #/customers?view=ID (a tab): the view's filters and sort first, written into the address.
  const apply = (next) => { state = next; remember(); syncControls(); };
  loadWithView(query, state, { readState, hashFor: listHash, alive: () => root.isConnected, apply, load });
  return root;
}
