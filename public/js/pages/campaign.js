// #/campaigns/{id}: the campaign's status, a delivery progress bar while it sends (refreshed
// every two seconds), the funnel (sent, opened, clicked), human vs raw rates, and the
// per-recipient table, and for an email sent the report (campaign-report.js: opens and clicks
// over time, clicks per link). Send, cancel, edit and delete as the status allows.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { count, relativeTime } from '../components/format.js';
import { card, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';
import { confirmDialog } from '../components/dialog.js';
import { deleteWithUndo, redrawRoute } from '../components/undo.js';
import { campaignStyles, percent, statusBadge } from './campaigns.js';
import { permitAll } from '../components/permit.js';
import { download } from '../components/download.js';
import { reportCards } from './campaign-report.js';

/** Widths go through the CSSOM: the content security policy forbids style attributes. */
function bar(className, value) {
  const el = h('span', { class: className });
  el.style.width = `${Math.max(0, Math.min(100, value))}%`;
  return el;
}

function funnel(c) {
  const top = Math.max(1, c.total_sent);
  const steps = [['Delivered', c.total_sent], ['Opened', c.total_opened], ['Clicked', c.total_clicked]];
  return h('ol', { class: 'funnel' }, steps.map(([label, n]) => h('li', { class: 'funnel-step', dataset: { step: label.toLowerCase() } },
    h('span', { class: 'funnel-label', text: label }),
    h('span', { class: 'funnel-track' }, bar('funnel-bar', (n / top) * 100)),
    h('span', { class: 'funnel-value', text: `${count(n, '0')} · ${percent((n / top) * 100)}` }))));
}

function figure(label, value, note) {
  return h('div', { class: 'campaign-figure' }, h('span', { class: 'figure-label', text: label }), h('span', { class: 'figure-value', text: value }),
    note ? h('span', { class: 'figure-note muted small', text: note }) : null);
}

export function render({ params }) {
  campaignStyles();
  const id = params[0];
  const body = h('div', {}, loadingState('Loading the campaign…'));
  const actions = h('div', { class: 'page-actions' });
  const header = h('div', {});
  const root = h('div', { class: 'page page-campaign' },
    h('a', { class: 'back-link', href: '#/campaigns' }, icon('arrowLeft', 'icon icon-small'), h('span', { text: 'Campaigns' })),
    header, body);
  let timer = null;

  async function act(path, message) {
    try {
      const r = await api.post(path);
      toast(r.message || message);
      load();
    } catch (error) {
      if (!error.handled) toast(error.message, 'error');
    }
  }

  const KIND = { email: ['email', 'emails'], sms: ['text message', 'text messages'], ad: ['ad audience', 'ad audiences'] };

  /** Asks before sending, naming how many customers the segment reaches now. */
  async function send(c) {
    let reachable = null;
    if (c.segment_id) {
      try {
        reachable = (await api.get('/v1/campaigns/audience-size', { query: { segment_id: c.segment_id, type: c.type } })).reachable;
      } catch (error) {
        if (error.handled) return;
      }
    }
    const who = reachable === null ? 'its segment' : `${count(reachable, '0')} customer${reachable === 1 ? '' : 's'}`;
    const what = c.type === 'ad' ? `The audience of “${c.name}” is frozen and ready to download; it cannot be sent again.`
      : `“${c.name}” goes out as ${reachable === 1 ? `one ${KIND[c.type]?.[0] || 'message'}` : (KIND[c.type]?.[1] || 'messages')} right away. Sent messages cannot be recalled.`;
    const ok = await confirmDialog({
      title: c.type === 'ad' ? `Freeze the audience of ${who} now?` : `Send to ${who} now?`,
      message: what,
      confirmLabel: c.type === 'ad' ? 'Freeze audience' : `Send to ${who}`,
    });
    if (ok) act(`/v1/campaigns/${id}/send`, 'Sending.');
  }

  async function cancelSend(c) {
    const ok = await confirmDialog({
      title: `Stop ${c.name}?`,
      message: c.status === 'sending' ? 'Messages not yet sent are not sent; those already delivered stay delivered.' : 'The scheduled send is cancelled; the campaign is not sent.',
      confirmLabel: 'Stop sending', cancelLabel: 'Keep it', danger: true,
    });
    if (ok) act(`/v1/campaigns/${id}/cancel`, 'Cancelled.');
  }

  async function remove(c) {
    const ok = await confirmDialog({
      title: `Delete the campaign ${c.name}?`,
      message: 'The draft, its message and its settings are deleted. You can undo for 10 seconds.',
      confirmLabel: 'Delete campaign', danger: true,
    });
    if (!ok) return;
    navigate('/campaigns');
    deleteWithUndo({ label: `the campaign “${c.name}”`, path: `/v1/campaigns/${id}`, restore: () => redrawRoute('#/campaigns') });
  }

  async function load() {
    clearTimeout(timer);
    if (!root.isConnected && timer !== null) return;
    try {
      const c = await api.get(`/v1/campaigns/${id}`);
      replace(header, pageHeader({ title: c.name, eyebrow: `${c.type} campaign`, description: c.subject || '' }));
      const buttons = [];
      if (c.status === 'draft' || c.status === 'scheduled') {
        buttons.push([h('a', { class: 'button button-secondary', href: `#/campaigns/${id}/edit`, text: 'Edit' }), 'PUT /v1/campaigns/{id}', 'edit campaigns']);
        buttons.push([h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'send' }, text: 'Send now',
          onClick: () => send(c) }), 'POST /v1/campaigns/{id}/send', 'send campaigns']);
      }
      if (c.status === 'scheduled' || c.status === 'sending') {
        buttons.push([h('button', { type: 'button', class: 'button button-secondary', text: 'Cancel', dataset: { action: 'cancel-send' }, onClick: () => cancelSend(c) }),
          'POST /v1/campaigns/{id}/cancel', 'cancel sends']);
      }
      if (c.status === 'draft') {
        buttons.push([h('button', { type: 'button', class: 'button button-danger', text: 'Delete', dataset: { action: 'delete' },
          onClick: () => remove(c) }), 'DELETE /v1/campaigns/{id}', 'delete campaigns']);
      }
      if (c.status !== 'draft') {
        buttons.push([h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'export-recipients' },
          onClick: () => download(`/v1/campaigns/${c.id}/recipients.csv`, `campaign-${c.id}-recipients.csv`).catch((error) => toast(error.message, 'error')) },
        icon('download'), h('span', { text: 'Export recipients' })), 'GET /v1/campaigns/{id}/recipients.csv', 'export recipients']);
      }
      if (c.type === 'ad' && c.status === 'sent') {
        buttons.push([h('button', { type: 'button', class: 'button button-secondary', text: 'Download audience', onClick: () => download(`/v1/campaigns/${c.id}/audience.csv`, `campaign-${c.id}-audience.csv`).catch((error) => toast(error.message, 'error')) }),
          'GET /v1/campaigns/{id}/audience.csv', 'export audiences']);
      }
      replace(actions, ...permitAll(buttons));
      header.querySelector('.page-header')?.append(actions);

      const progress = h('div', { class: 'campaign-progress' },
        h('div', { class: 'progress-head' }, statusBadge(c.status),
          h('span', { class: 'muted small', text: c.status === 'sending' ? `${percent(c.progress)} delivered` :
            c.sent_at ? `Sent ${new Date(c.sent_at).toLocaleString()}` : c.scheduled_at ? `Scheduled for ${new Date(c.scheduled_at).toLocaleString()}` : 'Draft' })),
        h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(c.progress ?? 0), 'aria-label': 'Delivery progress' },
          bar('progress-bar', c.progress ?? 0)));
      const figures = h('div', { class: 'campaign-figures' },
        figure('Recipients', count(c.total_recipients, '0')),
        figure('Delivered', count(c.total_sent, '0')),
        figure('Open rate', percent(c.open_rate), `human ${percent(c.human_open_rate)}`),
        figure('Click rate', percent(c.click_rate), `human ${percent(c.human_click_rate)}`),
        figure('Bounced', count(c.total_bounced, '0')),
        figure('Unsubscribed', count(c.total_unsubscribed, '0')),
        c.total_interrupted ? figure('Interrupted', count(c.total_interrupted), 'in flight at a crash; not resent') : null);
      const rows = c.messages.map((m) => h('tr', { dataset: { messageId: String(m.id) } },
        h('td', {}, h('a', { href: `#/customers/${m.customer_id}`, text: m.customer_name || m.address || `#${m.customer_id}` })),
        h('td', { class: 'mono small', text: m.address || '' }),
        h('td', {}, h('span', { class: ['badge', 'message-status', `message-status-${m.status}`], text: m.status })),
        h('td', {}, m.opened_at ? relativeTime(m.opened_at) : '—'),
        h('td', {}, m.clicked_at ? relativeTime(m.clicked_at) : '—'),
        h('td', { class: 'small muted', text: m.error || '' })));
      const table = h('table', { class: 'table table-messages' },
        h('thead', {}, h('tr', {}, ['Recipient', 'Address', 'Status', 'Opened', 'Clicked', 'Note'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, rows));
      replace(body, h('div', { class: 'stack' },
        card({ title: 'Delivery', body: [progress, figures] }),
        card({ title: 'Funnel', description: 'As shares of the delivered messages.', body: [funnel(c)] }),
        ...(c.type === 'email' && (c.status === 'sent' || c.status === 'sending') ? reportCards(id) : []),
        card({ title: 'Recipients', description: c.messages_meta && c.messages_meta.total > c.messages.length ? `The first ${c.messages.length} of ${c.messages_meta.total}.` : null,
          body: [c.messages.length ? tableWrap(table, 'Recipients') : h('p', { class: 'muted', text: 'The audience is frozen when the campaign is sent.' })] })));
      if (c.status === 'sending' || c.status === 'scheduled') timer = setTimeout(() => { if (root.isConnected) load(); }, 2000);
    } catch (error) {
      if (!error.handled) replace(body, errorState(error, load));
    }
  }

  load();
  return root;
}
