// #/campaigns: every campaign with its status and rates; links to the editor, each
// campaign's page and the development mailbox. All user data goes in as text.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { count, dateOnly } from '../components/format.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { permit } from '../components/permit.js';
import { isPendingDelete } from '../components/undo.js';

let styleAdded = false;
/** The campaigns' stylesheet, added once. */
export function campaignStyles() {
  if (styleAdded) return;
  styleAdded = true;
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/campaigns.css' }));
}

const STATUS_TONES = { draft: 'neutral', scheduled: 'info', sending: 'warning', sent: 'success', cancelled: 'neutral', failed: 'error' };

export function statusBadge(status) {
  return h('span', { class: ['badge', 'campaign-status', `campaign-status-${STATUS_TONES[status] || 'neutral'}`], text: status });
}

export function percent(value) {
  return value === null || value === undefined ? '—' : `${Number(value).toFixed(1)} %`;
}

export function render() {
  campaignStyles();
  const body = h('div', {}, loadingState('Loading campaigns…'));
  const root = h('div', { class: 'page page-campaigns' },
    pageHeader({
      title: 'Campaigns',
      description: 'Email, SMS and ad campaigns to segments, sent now or on a schedule.',
      actions: [
        h('a', { class: 'button button-secondary', href: '#/campaigns/settings', dataset: { action: 'delivery-settings' } }, icon('settings'), h('span', { text: 'Delivery settings' })),
        h('a', { class: 'button button-secondary', href: '#/campaigns/mailbox' }, icon('mail'), h('span', { text: 'Dev mailbox' })),
        permit(h('a', { class: 'button button-primary', href: '#/campaigns/new', dataset: { action: 'new-campaign' } }, icon('plus'), h('span', { text: 'New campaign' })),
          'POST /v1/campaigns', 'create campaigns'),
      ],
    }),
    body);

  async function load() {
    replace(body, loadingState('Loading campaigns…'));
    try {
      const list = await api.get('/v1/campaigns', { query: { per_page: 100 } });
      list.data = list.data.filter((c) => !isPendingDelete(`/v1/campaigns/${c.id}`));
      if (!list.data.length) {
        replace(body, card({ body: [emptyState({ title: 'No campaigns yet', text: 'Create a campaign, choose a segment and send it now or on a schedule.', iconName: 'campaigns' })] }));
        return;
      }
      const rows = list.data.map((c) => h('tr', { dataset: { campaignId: String(c.id) } },
        h('td', {}, h('a', { href: `#/campaigns/${c.id}`, class: 'campaign-name', text: c.name })),
        h('td', { text: c.type }),
        h('td', {}, statusBadge(c.status)),
        h('td', { class: 'num', text: count(c.total_sent, '0') }),
        h('td', { class: 'num', text: percent(c.open_rate) }),
        h('td', { class: 'num', text: percent(c.click_rate) }),
        h('td', { class: 'num muted', text: percent(c.human_open_rate) }),
        h('td', { class: 'nowrap' }, c.sent_at ? dateOnly(c.sent_at) : (c.scheduled_at ? ['Scheduled ', dateOnly(c.scheduled_at)] : '—'))));
      const table = h('table', { class: 'table table-campaigns' },
        h('thead', {}, h('tr', {}, ['Name', 'Type', 'Status', 'Sent', 'Open rate', 'Click rate', 'Human opens', 'Date']
          .map((t, i) => h('th', { scope: 'col', class: i >= 3 && i <= 6 ? 'num' : null, text: t })))),
        h('tbody', {}, rows));
      replace(body, card({ body: [tableWrap(table, 'Campaigns')] }));
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, load));
    }
  }
  load();
  return root;
}
