// #/pipelines/{slug}/table: the entries as a table, with full-text search (q), filters
// (pipeline, stage, assignee, select fields, number ranges), sorting by a column and pages.
// The state lives in the address: #/pipelines/leads/table?q=jan&stage_id=2&sort=title.

import { avatar, h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { emptyState, errorState, loadingState, tableWrap } from '../components/page.js';
import { crm, workspacePeople } from './pipelines-api.js';
import { openEntryForm } from './pipelines-entry.js';
import { entityHeader, formatNumber, singular, stageBadge, stagesById, valueNode } from './pipelines-common.js';
import { permit } from '../components/permit.js';
import { exportButton, listFilters, listTools, openView, tagList, viewParam, viewQuery } from '../components/list.js';
import { session } from '../session.js';

const PER_PAGE = 25;

export function render({ entity, query, path }) {
  const slug = encodeURIComponent(entity.slug);
  const stages = stagesById(entity);
  const fields = entity.fields || [];
  const shown = fields.slice(0, 4);
  const selects = fields.filter((f) => f.type === 'select' || f.type === 'multi_select').slice(0, 3);
  const numbers = fields.filter((f) => f.type === 'number').slice(0, 1);

  // The address is the state; the API takes it as it is, but for the page (and the view's id).
  function apiParams(page = query.get('page') || '1') {
    const params = new URLSearchParams(query);
    params.delete('view');
    params.set('per_page', String(PER_PAGE));
    params.set('page', page);
    return params;
  }
  function go(changes) {
    const next = new URLSearchParams(query);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === undefined || value === '') next.delete(key);
      else next.set(key, value);
    }
    if (!('page' in changes)) next.delete('page');
    const text = next.toString();
    navigate(`${path}${text ? `?${text}` : ''}`);
  }

  // Search and filters ------------------------------------------------------------------
  const search = h('input', { type: 'search', name: 'q', class: 'search-input', placeholder: `Search ${(entity.plural_name || entity.name).toLowerCase()}…`,
    'aria-label': 'Search', value: query.get('q') || '', maxlength: 200 });
  const searchForm = h('form', { class: 'search-form', role: 'search' }, search);
  searchForm.addEventListener('submit', (event) => { event.preventDefault(); go({ q: search.value.trim() }); });
  let typing = null;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    // Only while this page is on screen: a late timer must not move the next page.
    typing = setTimeout(() => { if (root.isConnected) go({ q: search.value.trim() }); }, 350);
  });

  function filterSelect(label, key, options) {
    const select = h('select', { class: 'select-compact', 'aria-label': label, dataset: { filter: key } },
      h('option', { value: '', text: label }),
      options.map((o) => h('option', { value: o.value, text: o.label, selected: query.get(key) === o.value })));
    select.addEventListener('change', () => go({ [key]: select.value }));
    return select;
  }
  const filters = h('div', { class: 'filters' },
    (entity.pipelines || []).length > 1 ? filterSelect('All pipelines', 'pipeline_id', entity.pipelines.map((p) => ({ value: String(p.id), label: p.name }))) : null,
    filterSelect('All stages', 'stage_id', [...stages.values()]
      .filter((s) => !query.get('pipeline_id') || String(s.pipeline.id) === query.get('pipeline_id'))
      .map((s) => ({ value: String(s.id), label: (entity.pipelines.length > 1 ? `${s.pipeline.name}: ` : '') + s.name }))),
    selects.map((f) => filterSelect(`Any ${f.name.toLowerCase()}`, `values[${f.key}]`, (f.options || []).map((o) => ({ value: o, label: o })))),
    numbers.map((f) => rangeFilter(f)));
  const assignee = h('span', {});
  filters.append(assignee);

  function rangeFilter(f) {
    const min = h('input', { type: 'number', step: 'any', class: 'range-input', 'aria-label': `${f.name} from`, placeholder: `${f.name} from`, value: query.get(`values[${f.key}][min]`) || '' });
    const max = h('input', { type: 'number', step: 'any', class: 'range-input', 'aria-label': `${f.name} to`, placeholder: 'to', value: query.get(`values[${f.key}][max]`) || '' });
    const apply = () => go({ [`values[${f.key}][min]`]: min.value, [`values[${f.key}][max]`]: max.value });
    min.addEventListener('change', apply);
    max.addEventListener('change', apply);
    return h('span', { class: 'range' }, min, max);
  }

  const active = [...query.keys()].some((k) => !['page', 'sort', 'order'].includes(k));
  const clear = active ? h('a', { class: 'button button-ghost button-small', href: `#${path}`, text: 'Clear filters' }) : null;
  const newButton = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'new-entry' } },
    icon('plus'), h('span', { text: `New ${singular(entity).toLowerCase()}` }))
  const newControl = permit(newButton, 'POST /api/brands/{brand}/crm/entities/{entity}/entries', 'add entries');
  newButton.addEventListener('click', async () => {
    const entry = await openEntryForm({ entity });
    if (entry) load();
  });

  // Saved views as tabs (#/pipelines/deals/table?view=ID), and the selection's bulk actions.
  const currentFilters = () => {
    const filters = {};
    for (const [key, value] of apiParams()) filters[key] = value;
    return listFilters(filters);
  };
  const tools = listTools({
    list: `entries:${entity.id}`,
    route: path.slice(1),
    currentId: viewParam(query),
    filters: currentFilters,
    sort: () => ({ field: query.get('sort') || 'updated_at', order: query.get('order') || 'desc' }),
    target: 'entries',
    entityId: entity.id,
    noun: [singular(entity).toLowerCase(), (entity.plural_name || entity.name).toLowerCase()],
    onDone: () => load(),
    actions: ['add_tags', 'remove_tags', 'set_owner', 'move_stage', 'delete'],
    stages: [...stages.values()].map((s) => ({ id: s.id, label: (entity.pipelines.length > 1 ? `${s.pipeline.name}: ` : '') + s.name })),
  });
  const { views, selection } = tools;

  const body = h('div', { class: 'crm-table-body' }, loadingState('Loading…'));
  const root = h('div', { class: 'page page-crm page-crm-table' },
    entityHeader(entity, 'table', [
      // The entries as filtered and sorted here, every page.
      exportButton({ path: `/api/brands/${encodeURIComponent(session.me.tenant.id)}/crm/entities/${slug}/entries/export.csv`,
        route: 'GET /api/brands/{brand}/crm/entities/{entity}/entries/export.csv', filename: `${entity.slug}.csv`, doing: 'export entries',
        query: () => Object.fromEntries([...apiParams()].filter(([key]) => !['page', 'per_page'].includes(key))) }),
      permit(h('a', { class: 'button button-secondary', href: `#/imports/new?target=entity:${entity.id}`, dataset: { action: 'import' } },
        icon('upload'), h('span', { text: 'Import' })), 'POST /v1/imports', 'import entries'),
      newControl]),
    views,
    h('section', { class: 'card crm-table-card', 'aria-label': 'Entries' },
      h('div', { class: 'table-toolbar' }, searchForm, filters, clear),
      selection.pageToggle,
      selection.bar,
      body));

  // The table ---------------------------------------------------------------------------
  const sort = query.get('sort') || '';
  const order = query.get('order') || '';
  function sortHeader(label, key, defaultOrder = 'asc') {
    const current = sort === key;
    const nextOrder = current ? (order === 'desc' || (!order && defaultOrder === 'desc') ? 'asc' : 'desc') : defaultOrder;
    const button = h('button', { type: 'button', class: ['sort-button', current && 'is-sorted'], dataset: { sort: key } },
      h('span', { text: label }), current ? h('span', { class: 'sort-arrow', 'aria-hidden': 'true', text: (order || defaultOrder) === 'desc' ? '↓' : '↑' }) : null);
    button.addEventListener('click', () => go({ sort: key, order: nextOrder }));
    return h('th', { scope: 'col', 'aria-sort': current ? ((order || defaultOrder) === 'desc' ? 'descending' : 'ascending') : null }, button);
  }

  async function load() {
    try {
      const [result, people] = await Promise.all([crm.entries(entity.id, apiParams()), workspacePeople()]);
      replace(assignee, filterSelectAssignee(people));
      show(result, people);
    } catch (error) {
      if (error.handled) return;
      replace(body, errorState(error, () => { replace(body, loadingState()); load(); }));
    }
  }

  function filterSelectAssignee({ users }) {
    if (!users.size) return null;
    return filterSelect('Anyone', 'assigned_to_user_id', [{ value: 'null', label: 'Nobody' }, ...[...users.values()].map((u) => ({ value: String(u.id), label: u.name }))]);
  }

  function show(result, { users }) {
    const rows = result.data || [];
    if (!rows.length) {
      replace(body, emptyState({ title: active ? 'Nothing matches' : `No ${(entity.plural_name || entity.name).toLowerCase()} yet`,
        text: active ? 'Try other words or fewer filters.' : 'Create one, or send them from your site through the API.', iconName: 'pipelines' }));
      return;
    }
    tools.shown(rows.map((entry) => entry.id), result.total ?? rows.length);
    const table = h('table', { class: 'table crm-table' },
      h('thead', {}, h('tr', {},
        selection.headerCell(),
        sortHeader('Title', 'title'),
        h('th', { scope: 'col', text: 'Stage' }),
        shown.map((f) => sortHeader(f.name, f.key)),
        h('th', { scope: 'col', text: 'Assigned to' }),
        sortHeader('Updated', 'updated_at', 'desc'))),
      h('tbody', {}, rows.map((entry) => {
        const user = users.get(entry.assigned_to_user_id);
        return h('tr', { dataset: { entryId: entry.id } },
          selection.rowCell(entry.id, entry.title),
          h('td', {}, h('a', { class: 'entry-link', href: `#/pipelines/${slug}/entries/${encodeURIComponent(entry.id)}`, text: entry.title }), tagList(entry.tags)),
          h('td', {}, stageBadge(stages.get(entry.stage_id))),
          shown.map((f) => h('td', {}, valueNode(f, entry.values_flat?.[f.key]))),
          h('td', {}, user ? h('span', { class: 'person' }, avatar(user.name, 'small'), h('span', { text: user.name })) : h('span', { class: 'muted', text: '—' })),
          h('td', { class: 'nowrap muted', text: relative(entry.updated_at) }));
      })));
    const total = result.total ?? rows.length;
    const atLeast = result.total_relation === 'gte';
    const current = result.current_page || 1;
    const last = result.last_page || 1;
    const pager = last > 1 || atLeast
      ? h('nav', { class: 'pagination', 'aria-label': 'Pages' },
        current > 1 ? h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Previous', onClick: () => go({ page: String(current - 1) }) }) : null,
        h('span', { class: 'muted', text: `Page ${formatNumber(current)} of ${formatNumber(last)}${atLeast ? '+' : ''}` }),
        current < last || (atLeast && rows.length === PER_PAGE) ? h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Next', onClick: () => go({ page: String(current + 1) }) }) : null)
      : null;
    replace(body,
      tableWrap(table, `${entity.name} entries`),
      h('div', { class: 'table-footer' },
        h('p', { class: 'muted', dataset: { role: 'total' }, text: `${formatNumber(total)}${atLeast ? '+' : ''} ${total === 1 && !atLeast ? 'entry' : 'entries'}` }),
        pager));
  }

  const viewID = viewParam(query);
  if (viewID && [...query.keys()].length === 1) {
    // A tab: the view's filters and sort become the address (this page, drawn again), unless
    // the console went elsewhere meanwhile.
    const here = location.hash;
    openView(viewID).then((view) => { if (location.hash === here) navigate(`${path}?${(view ? viewQuery(view) : new URLSearchParams()).toString()}`, { replace: true }); })
      .catch(() => load());
  } else {
    load();
  }
  if (query.get('q')) queueMicrotask(() => { search.focus(); search.setSelectionRange(search.value.length, search.value.length); });
  return root;
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function relative(value) {
  const then = new Date(value).getTime();
  if (!Number.isFinite(then)) return '';
  const seconds = Math.round((then - Date.now()) / 1000);
  const steps = [[60, 'second'], [3600, 'minute'], [86400, 'hour'], [604800, 'day'], [2629800, 'week'], [31557600, 'month'], [Infinity, 'year']];
  let unit = 1;
  for (const [limit, name] of steps) {
    if (Math.abs(seconds) < limit) return relativeFormat.format(Math.round(seconds / unit), name);
    unit = limit;
  }
  return '';
}
