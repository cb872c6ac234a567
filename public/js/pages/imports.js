// #/imports: past and current CSV imports with their counts and failed-row files; "New
// import" opens the wizard (imports-wizard.js). Running imports refresh every 2 s.

import { api } from '../api.js';
import { h, icon, replace, time } from '../dom.js';
import { count } from '../components/format.js';
import { download } from '../components/download.js';
import { emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { permit } from '../components/permit.js';
import { pagerNav } from '../components/list.js';
import { toast } from '../components/toast.js';

const TONES = { uploaded: 'neutral', queued: 'info', running: 'info', done: 'success', failed: 'danger', cancelled: 'warning' };

export function importStyles() {
  if (!document.querySelector('link[href="/css/imports.css"]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/css/imports.css' }));
  }
}

export function statusBadge(status) {
  return h('span', { class: ['badge', `badge-tone-${TONES[status] || 'neutral'}`, 'import-status'], text: status });
}

/** "customers", "companies", "entity:4" → what people read. */
export function targetLabel(target, entities = {}) {
  if (target?.startsWith('entity:')) return entities[target.slice(7)] || `Entries of entity ${target.slice(7)}`;
  return target === 'companies' ? 'Companies' : 'Customers';
}

/** The failed rows of an import, as a file to fix and import again. */
export function errorsLink(item) {
  if (!item.failed) return h('span', { class: 'muted', text: '—' });
  const button = h('button', { type: 'button', class: 'button button-link', dataset: { action: 'errors' } },
    icon('download'), h('span', { text: `${count(item.failed)} failed row${item.failed === 1 ? '' : 's'}` }));
  button.addEventListener('click', () => download(item.errors_url, `import-${item.id}-errors.csv`).catch((error) => toast(error.message, 'error')));
  return button;
}

export function render() {
  importStyles();
  const body = h('div', {}, loadingState('Loading imports…'));
  const pager = h('div', { class: 'pager' });
  let page = 1;
  let timer = null;
  const newButton = h('a', { class: 'button button-primary', href: '#/imports/new', dataset: { action: 'new-import' } },
    icon('upload'), h('span', { text: 'New import' }));
  const root = h('div', { class: 'page page-imports' },
    pageHeader({
      title: 'Imports',
      description: 'Bring customers, companies and CRM entries in from a spreadsheet. Each file is checked row by row like the API checks a record; failed rows come back as a file to fix and import again.',
      actions: [permit(newButton, 'POST /v1/imports', 'import records')],
    }),
    h('section', { class: 'card imports-list', 'aria-label': 'Past imports' }, body, pager));

  function row(item) {
    const progress = item.rows_total ? `${count(item.rows_done, '0')} of ${count(item.rows_total, '0')}` : count(item.rows_done, '0');
    return h('tr', { dataset: { importId: String(item.id) } },
      h('td', {}, h('a', { href: `#/imports/${item.id}`, text: item.file_name || `Import ${item.id}` }),
        item.dry_run ? h('span', { class: 'badge badge-tone-neutral import-dry', text: 'dry run' }) : null),
      h('td', { text: targetLabel(item.target) }),
      h('td', {}, statusBadge(item.status)),
      h('td', { class: 'num', text: progress }),
      h('td', { class: 'num', text: count(item.created, '0') }),
      h('td', { class: 'num', text: count(item.updated, '0') }),
      h('td', { class: 'num', text: count(item.unchanged, '0') }),
      h('td', { class: 'num', text: count(item.skipped, '0') }),
      h('td', {}, errorsLink(item)),
      h('td', {}, time(item.created_at)));
  }

  async function load() {
    clearTimeout(timer);
    try {
      const result = await api.get('/v1/imports', { query: { page, per_page: 25 } });
      if (!result.data.length) {
        replace(body, emptyState({ title: 'No imports yet', text: 'Upload a CSV file exported from a spreadsheet or another CRM.', iconName: 'upload' }));
      } else {
        replace(body, tableWrap(h('table', { class: 'table imports-table' },
          h('thead', {}, h('tr', {}, ...['File', 'Into', 'Status', 'Rows', 'Created', 'Updated', 'Unchanged', 'Skipped', 'Failed', 'Uploaded']
            .map((label, i) => h('th', { scope: 'col', class: i >= 3 && i <= 7 ? 'num' : null, text: label })))),
          h('tbody', {}, ...result.data.map(row))), 'Imports'));
      }
      replace(pager, pagerNav({ currentPage: result.meta.current_page, lastPage: result.meta.last_page, label: 'Imports pages',
        hrefFor: () => '#/imports', onPage: (next) => { page = next; load(); } }));
      if (result.data.some((item) => item.status === 'queued' || item.status === 'running')) {
        timer = setTimeout(() => document.contains(root) && load(), 2000);
      }
    } catch (error) {
      replace(body, errorState(error, load));
    }
  }

  load();
  return root;
}
