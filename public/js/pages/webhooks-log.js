// The delivery log of one webhook (#/settings/webhooks): its deliveries (one per event, with
// their state and a replay button), and the calls made for them (status, duration, the first
// 1 KB of the answer). "Replay failed since…" sends again what failed for good.

import { api } from '../api.js';
import { h, icon, replace, time } from '../dom.js';
import { alertRegion, field, hideAlert, showAlert, showErrors, submitting } from '../components/form.js';
import { card, emptyState, errorState, loadingState, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';

const STATUS_TONES = { delivered: 'success', pending: 'warning', failed: 'danger' };

function deliveryBadge(delivery) {
  const retrying = delivery.status === 'pending' && delivery.attempts > 0;
  const text = retrying ? 'Retrying' : delivery.status[0].toUpperCase() + delivery.status.slice(1);
  return h('span', { class: ['badge', `badge-tone-${STATUS_TONES[delivery.status] || 'neutral'}`], text });
}

function answerCell(attempt) {
  if (attempt.error && attempt.status_code == null) return h('span', { class: 'text-danger', text: attempt.error });
  const ok = attempt.status_code >= 200 && attempt.status_code < 300;
  return h('span', { class: ['badge', `badge-tone-${ok ? 'success' : 'danger'}`], text: String(attempt.status_code) });
}

/** A local datetime-local value of one day ago. */
function dayAgo() {
  const d = new Date(Date.now() - 86400000 - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

export function deliveryLog(hook, { refreshIn = 0 } = {}) {
  const alert = alertRegion();
  const deliveriesBody = h('div', {}, loadingState('Loading deliveries…'));
  const attemptsBody = h('div', {}, loadingState('Loading the log…'));
  const replayForm = h('form', { class: 'form form-inline webhook-replay-form', novalidate: true, 'aria-label': 'Replay failed deliveries' },
    alertRegion(),
    h('div', { class: 'form-row' },
      field({ label: 'Replay failed deliveries since', name: 'since', type: 'datetime-local', required: true, value: dayAgo() }),
      h('div', { class: 'field field-submit' },
        h('button', { type: 'submit', class: 'button button-secondary', dataset: { busyLabel: 'Replaying…', action: 'replay-failed' } },
          icon('play'), h('span', { text: 'Replay failed' })))));
  replayForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const raw = replayForm.elements.since.value;
    const since = raw ? new Date(raw) : null;
    if (!since || Number.isNaN(since.getTime())) {
      showErrors(replayForm, { status: 422, message: 'Choose a date and time.', errors: { since: ['Choose a date and time.'] } });
      return;
    }
    await submitting(replayForm, async () => {
      const result = await api.post(`/v1/webhooks/${hook.id}/replay`, { since: since.toISOString() });
      toast(result.replayed ? `${result.replayed} deliver${result.replayed === 1 ? 'y' : 'ies'} queued again.` : 'Nothing failed since then.');
      setTimeout(load, 1200);
    });
  });
  const reload = h('button', { type: 'button', class: 'button button-ghost button-small', dataset: { action: 'reload-log' }, onClick: () => load() },
    icon('clock'), h('span', { text: 'Refresh' }));
  const root = card({
    title: `Delivery log: ${hook.url}`,
    description: 'Each event is delivered at least once, in order per record, and retried with growing delays for 3 days.',
    actions: [reload],
    body: [alert, replayForm, h('h3', { class: 'webhook-log-heading', text: 'Deliveries' }), deliveriesBody,
      h('h3', { class: 'webhook-log-heading', text: 'Calls' }), attemptsBody],
    className: 'card-webhook-log',
  });
  root.dataset.webhookId = hook.id;

  async function load() {
    hideAlert(alert);
    try {
      const [deliveries, attempts] = await Promise.all([
        api.get(`/v1/webhooks/${hook.id}/deliveries`, { query: { per_page: 25 } }),
        api.get(`/v1/webhooks/${hook.id}/attempts`, { query: { per_page: 25 } }),
      ]);
      renderDeliveries(deliveries.data || [], deliveries.meta?.total || 0);
      renderAttempts(attempts.data || []);
    } catch (error) {
      if (!error.handled) replace(deliveriesBody, errorState(error, load));
    }
  }

  function renderDeliveries(rows, total) {
    if (!rows.length) {
      replace(deliveriesBody, emptyState({ title: 'No deliveries yet', text: 'Send a test event, or make a change of a subscribed type.', iconName: 'send' }));
      return;
    }
    const table = h('table', { class: 'table table-compact' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Event' }),
        h('th', { scope: 'col', text: 'Status' }),
        h('th', { scope: 'col', text: 'Tries' }),
        h('th', { scope: 'col', text: 'Last answer' }),
        h('th', { scope: 'col', text: 'Happened' }),
        h('th', { scope: 'col', class: 'cell-actions' }, h('span', { class: 'visually-hidden', text: 'Actions' })))),
      h('tbody', {}, rows.map((d) => h('tr', { dataset: { deliveryId: d.id, status: d.status } },
        h('td', {}, h('code', { text: d.type }), h('span', { class: 'muted webhook-subject', text: d.subject })),
        h('td', {}, deliveryBadge(d)),
        h('td', { text: String(d.attempts) }),
        h('td', { class: 'webhook-answer' }, d.last_error ? h('span', { class: 'text-danger', text: d.last_error }) : d.last_status ? String(d.last_status) : '—'),
        h('td', { class: 'nowrap' }, time(d.occurred_at)),
        h('td', { class: 'cell-actions' },
          h('button', { type: 'button', class: 'button button-ghost button-small', dataset: { action: 'replay' }, 'aria-label': `Replay ${d.type} ${d.webhook_id}`, onClick: () => replay(d) },
            icon('play'), h('span', { class: 'button-label', text: 'Replay' })))))));
    replace(deliveriesBody, tableWrap(table, 'Deliveries'),
      total > rows.length ? h('p', { class: 'muted', text: `The newest ${rows.length} of ${total}.` }) : null);
  }

  function renderAttempts(rows) {
    if (!rows.length) {
      replace(attemptsBody, h('p', { class: 'muted', text: 'No calls made yet.' }));
      return;
    }
    const table = h('table', { class: 'table table-compact' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'When' }),
        h('th', { scope: 'col', text: 'Event' }),
        h('th', { scope: 'col', text: 'Answer' }),
        h('th', { scope: 'col', text: 'Time' }),
        h('th', { scope: 'col', text: 'Body (first 1 KB)' }))),
      h('tbody', {}, rows.map((a) => h('tr', { dataset: { attemptId: a.id } },
        h('td', { class: 'nowrap' }, time(a.attempted_at)),
        h('td', {}, h('code', { text: a.type })),
        h('td', {}, answerCell(a)),
        h('td', { class: 'nowrap', text: `${a.duration_ms} ms` }),
        h('td', { class: 'webhook-response' }, a.response ? h('code', { text: a.response, title: a.response }) : '—')))));
    replace(attemptsBody, tableWrap(table, 'Calls'));
  }

  async function replay(delivery) {
    hideAlert(alert);
    try {
      await api.post(`/v1/webhooks/${hook.id}/deliveries/${delivery.id}/replay`);
      toast(`${delivery.type} queued again (same webhook-id).`);
      setTimeout(load, 1200);
    } catch (error) {
      if (!error.handled) showAlert(alert, error.message);
    }
  }

  load();
  if (refreshIn) setTimeout(load, refreshIn);
  return root;
}
