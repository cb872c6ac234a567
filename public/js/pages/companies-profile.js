// #/companies/{id}: a company's profile. Its fields, owner and properties; its totals
// (customers, revenue: the sum of its customers' lifetime value, kept by the server as they
// change); and its customers (GET /v1/customers?company_id=, a page at a time). Edit, and
// Delete (asks, then ten seconds to undo; its customers stay, without a company).

import { api } from '../api.js';
import { avatar, h, icon, replace, time } from '../dom.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { count, countryName, money, placeText, relativeTime, segmentBadge, valueText } from '../components/format.js';
import { pagerNav, tagList } from '../components/list.js';
import { members, ownerName } from '../components/owners.js';
import { card, emptyState, errorState, loadingState, tableWrap } from '../components/page.js';
import { permitAll } from '../components/permit.js';
import { redrawRoute } from '../components/undo.js';
import { linkedEntriesCard } from '../components/entry-links.js';
import { notesPanel } from '../components/notes-panel.js';
import { tasksPanel } from '../components/tasks.js';
import { timelineCard } from '../components/timeline.js';
import { companyListRoute, companyStyles, deleteCompany } from './companies.js';
import { companyBackLink, showCompanyLoadError } from './companies-form.js';
import { formatNumber } from './pipelines-common.js';
import { customerName } from './customers.js';

const CUSTOMERS_PER_PAGE = 10;

function metric(label, value, sub = null, testid = null) {
  return h('div', { class: 'metric', dataset: testid ? { metric: testid } : null },
    h('dt', { class: 'metric-label', text: label }),
    h('dd', { class: 'metric-value' }, value),
    sub ? h('dd', { class: 'metric-sub' }, sub) : null);
}

/** The company's web address, as a link that leaves the console safely. */
function domainLink(domain) {
  return h('a', { class: 'company-domain', href: `https://${domain}`, target: '_blank', rel: 'noopener noreferrer', text: domain });
}

export function render({ params }) {
  companyStyles();
  const id = params[0];
  const base = `/v1/companies/${encodeURIComponent(id)}`;
  const title = h('h1', { class: 'page-title', tabindex: '-1', text: 'Company' });
  const meta = h('ul', { class: 'profile-meta', 'aria-label': 'Company details' });
  const actions = h('div', { class: 'page-actions profile-actions' });
  const mark = h('span', { class: 'profile-avatar company-avatar', 'aria-hidden': 'true' }, icon('building'));
  const body = h('div', { class: 'profile-body' }, loadingState('Loading the company…'));

  const root = h('div', { class: 'page page-company' },
    companyBackLink(),
    h('header', { class: 'profile-header' }, mark, h('div', { class: 'profile-heading' }, title, meta), actions),
    body);

  async function load() {
    try {
      const [company, list] = await Promise.all([api.get(base), members().catch(() => [])]);
      show(company, list);
    } catch (error) {
      showCompanyLoadError(error, title, body, load);
    }
  }

  function show(c, owners) {
    title.textContent = c.name;
    document.title = `${c.name} · Companies · ${session.me?.tenant?.name || 'EnterCRM'} · EnterCRM`;
    const place = placeText(c.city, c.country);
    replace(meta,
      c.domain ? h('li', {}, icon('globe', 'icon icon-small'), domainLink(c.domain)) : null,
      c.industry ? h('li', {}, icon('building', 'icon icon-small'), h('span', { text: c.industry })) : null,
      place ? h('li', {}, icon('pin', 'icon icon-small'), h('span', { text: place })) : null,
      c.tags?.length ? h('li', { class: 'profile-tags' }, tagList(c.tags)) : null);
    replace(actions, ...permitAll([
      [h('a', { class: 'button button-secondary', href: `#/companies/${encodeURIComponent(c.id)}/edit`, dataset: { action: 'edit' } },
        icon('edit'), h('span', { text: 'Edit' })), 'PUT /v1/companies/{id}', 'edit companies'],
      [h('button', { type: 'button', class: 'button button-ghost-danger', dataset: { action: 'delete' },
        onClick: () => deleteCompany(c, { leave: () => navigate(companyListRoute()), restore: () => redrawRoute(`#${companyListRoute()}`) }) },
      icon('trash'), h('span', { text: 'Delete' })), 'DELETE /v1/companies/{id}', 'delete companies'],
    ]));
    const owner = ownerName(c.owner_id, owners);
    replace(body,
      h('dl', { class: 'metrics metrics-company', 'aria-label': 'Totals' },
        metric('Customers', count(c.customers_count, '0'), null, 'customers_count'),
        metric('Revenue', money(c.revenue_total, { empty: money(0) }), h('span', { text: 'Their lifetime value, together' }), 'revenue_total'),
        metric('Open deals', h('span', { text: formatNumber(c.open_entries_value ?? 0) }),
          h('span', { text: 'Value of its linked deals still open' }), 'open_entries_value'),
        metric('Owner', owner ? h('span', { text: owner }) : h('span', { class: 'muted', text: 'No owner' }), null, 'owner')),
      h('div', { class: 'profile-grid' },
        h('div', { class: 'profile-main' },
          customersCard(c),
          tasksPanel({ subjectType: 'company', subjectId: c.id }),
          notesPanel({ subjectType: 'company', subjectId: c.id }),
          timelineCard({
            path: `/v1/companies/${c.id}`, filters: ['all', 'stages', 'notes'],
            description: 'Stage moves of its deals, notes and tasks, newest first.', emptyText: 'Stage moves of linked deals, notes and tasks appear here.',
          })),
        h('div', { class: 'profile-side' }, linkedEntriesCard(`/v1/companies/${c.id}`), detailsCard(c, owner), propertiesCard(c))));
  }

  function detailsCard(c, owner) {
    const row = (label, value) => h('div', {}, h('dt', { text: label }), h('dd', {}, value));
    return card({
      title: 'Details',
      className: 'card-record card-company-details',
      body: [h('dl', { class: 'kv-list' },
        row('Domain', c.domain ? domainLink(c.domain) : h('span', { class: 'muted', text: '—' })),
        row('Industry', c.industry || '—'),
        row('Size', c.size ? `${c.size} people` : '—'),
        row('Country', c.country ? countryName(c.country) : '—'),
        row('City', c.city || '—'),
        row('Owner', owner || 'No owner'),
        row('Company ID', h('span', { class: 'mono', text: String(c.id) })),
        row('Created', time(c.created_at)),
        row('Updated', time(c.updated_at)))],
    });
  }

  function propertiesCard(c) {
    const entries = Object.entries(c.properties && typeof c.properties === 'object' ? c.properties : {});
    const content = entries.length
      ? h('table', { class: 'kv-table' },
        h('caption', { class: 'visually-hidden', text: 'Properties' }),
        h('tbody', {}, entries.map(([key, value]) => h('tr', { dataset: { property: key } },
          h('th', { scope: 'row', text: key }),
          h('td', { class: value !== null && typeof value === 'object' ? 'mono' : null, text: valueText(value) })))))
      : h('p', { class: 'muted', text: 'No properties. The API sets them (properties, merged on update).' });
    return card({ title: 'Properties', body: [content], className: 'card-properties' });
  }

  // Its customers, a page at a time -----------------------------------------------------------
  function customersCard(c) {
    const content = h('div', { class: 'company-customers' }, loadingState('Loading customers…'));
    const pager = h('div', { class: 'pager' });
    const status = h('p', { class: 'muted small', role: 'status' });
    let page = 1;

    async function loadPage(focusNav = null) {
      try {
        const result = await api.get('/v1/customers', { query: { company_id: c.id, page, per_page: CUSTOMERS_PER_PAGE, sort: 'clv_total', order: 'desc' } });
        const customers = result?.data || [];
        const total = Number(result?.meta?.total ?? customers.length);
        if (!customers.length) {
          replace(content, emptyState({ title: 'No customers yet', iconName: 'customers',
            text: 'Link customers to this company from their profiles, or turn on linking by email domain in Settings › Workspace.' }));
          replace(pager);
          status.textContent = '';
          return;
        }
        replace(content, tableWrap(h('table', { class: 'table table-company-customers' },
          h('caption', { class: 'visually-hidden', text: 'Customers of this company, by lifetime value' }),
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col', text: 'Customer' }),
            h('th', { scope: 'col', class: 'cell-number', text: 'CLV' }),
            h('th', { scope: 'col', class: 'col-rfm', text: 'RFM' }),
            h('th', { scope: 'col', class: 'col-seen', text: 'Last seen' }))),
          h('tbody', {}, customers.map((customer) => {
            const name = customerName(customer);
            return h('tr', { dataset: { customerId: customer.id } },
              h('td', {}, h('div', { class: 'person' }, avatar(name),
                h('div', { class: 'person-text' },
                  h('a', { class: 'person-name customer-link', href: `#/customers/${encodeURIComponent(customer.id)}`, text: name }),
                  customer.name && customer.email ? h('span', { class: 'person-email', text: customer.email }) : null))),
              h('td', { class: 'cell-number' }, money(customer.clv_total, { empty: money(0) })),
              h('td', { class: 'col-rfm' }, customer.rfm_segment ? segmentBadge(customer.rfm_segment) : h('span', { class: 'muted', text: '—' })),
              h('td', { class: 'nowrap col-seen' }, relativeTime(customer.last_seen_at)));
          }))), 'Customers of this company'));
        const lastPage = Math.max(1, Number(result?.meta?.last_page) || 1);
        status.textContent = `${count(total)} customer${total === 1 ? '' : 's'}`;
        replace(pager, pagerNav({
          currentPage: page,
          lastPage,
          label: 'Pages of this company’s customers',
          hrefFor: () => `#/customers?company_id=${encodeURIComponent(c.id)}`,
          onPage: (next, nav) => { page = next; loadPage(nav); },
        }));
        if (focusNav) pager.querySelector(`a[data-page-nav="${CSS.escape(focusNav)}"]`)?.focus();
      } catch (error) {
        if (!error.handled) replace(content, errorState(error, () => loadPage()));
      }
    }
    loadPage();
    return card({
      title: 'Customers',
      description: 'The people of this company, most valuable first.',
      actions: [h('a', { class: 'button button-secondary button-small', href: `#/customers?company_id=${encodeURIComponent(c.id)}`, dataset: { action: 'all-customers' } },
        h('span', { text: 'Open in Customers' }))],
      body: [content, h('div', { class: 'table-footer company-customers-footer' }, status, pager)],
      className: 'card-company-customers',
    });
  }

  load();
  return root;
}

