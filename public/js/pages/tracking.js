// #/tracking: connect a website. The workspace's publishable key, the snippet to paste
// (shown as text, never injected), how to call the tracker, and the last 50 events as they
// arrive (refreshed every 5 seconds while the page is open and visible).

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { session } from '../session.js';
import { copyField } from '../components/copy.js';
import { eventSummary, refreshRelativeTimes, relativeTime, urlLink } from '../components/format.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';

const REFRESH_MS = 5000;
const LIVE_LIMIT = 50;
const STUB = '<script>window.entercrm=window.entercrm||function(){(entercrm.q=entercrm.q||[]).push(arguments)}</script>';
const KEY_PLACEHOLDER = 'eck_pub_…';

/** The two lines to paste before </head>. */
export function snippetText(key, host = location.host) {
  return `${STUB}\n<script async src="https://${host}/tracker.js" data-key="${key}"></script>`;
}

const USAGE = [
  {
    title: 'Track an event',
    text: 'Any action worth remembering. A purchase with an amount and a currency adds to the customer’s lifetime value.',
    code: "entercrm('track', 'purchase', { amount: 59.90, currency: 'EUR', product_id: 'sku_123' });",
  },
  {
    title: 'Identify the visitor',
    text: 'When someone signs in or leaves an email. Their earlier anonymous pageviews and events join the customer.',
    code: "entercrm('identify', 'ana@example.com', { name: 'Ana Kovač', city: 'Zagreb', country: 'HR' });",
  },
  {
    title: 'Record a pageview',
    text: 'Pageviews are sent on load and on every history change of single-page apps; call this for anything else.',
    code: "entercrm('page');",
  },
  {
    title: 'Respect consent',
    text: 'Stops all sending (and drops anything queued) until consent is given again. Do Not Track is honoured too.',
    code: "entercrm('consent', false);  // and entercrm('consent', true) once they agree",
  },
];

/** A block of code with a copy button. The code is text: nothing in it is ever parsed. */
export function codeBlock(text, { label, name }) {
  const code = h('code', { text });
  const pre = h('pre', { class: 'code-block', tabindex: '0', 'aria-label': label, dataset: { code: name } }, code);
  const buttonText = h('span', { text: 'Copy' });
  const button = h('button', { type: 'button', class: 'button button-secondary button-small code-copy', dataset: { copy: name }, 'aria-label': `Copy ${label.toLowerCase()}` },
    icon('copy'), buttonText);
  let timer = null;
  button.addEventListener('click', async () => {
    let ok = false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      try {
        ok = document.execCommand('copy');
      } catch {
        ok = false;
      }
    }
    buttonText.textContent = ok ? 'Copied' : 'Copy';
    button.classList.toggle('is-copied', ok);
    toast(ok ? 'Copied to the clipboard.' : 'Press Ctrl+C (⌘C) to copy the selected text.', ok ? 'success' : 'info');
    clearTimeout(timer);
    timer = setTimeout(() => {
      buttonText.textContent = 'Copy';
      button.classList.remove('is-copied');
    }, 3000);
  });
  return h('div', { class: 'code-wrap' }, pre, button);
}

function customerCell(event) {
  if (event.customer_id) {
    const name = event.customer_name || event.customer_email || `Customer #${event.customer_id}`;
    return h('div', { class: 'person-text' },
      h('a', { class: 'person-name customer-link', href: `#/customers/${encodeURIComponent(event.customer_id)}`, text: name }),
      event.customer_name && event.customer_email ? h('span', { class: 'person-email', text: event.customer_email }) : null);
  }
  const anonymous = String(event.anonymous_id || '');
  return h('div', { class: 'person-text' },
    h('span', { class: 'muted', text: 'Anonymous visitor' }),
    anonymous ? h('span', { class: 'person-email mono', title: anonymous, text: anonymous.slice(0, 8) }) : null);
}

export function eventRow(event) {
  const isPageview = event.type === 'pageview';
  const summary = eventSummary(event, 90);
  return h('tr', { dataset: { eventId: event.event_id || '', event: event.event || '' } },
    h('td', { class: 'nowrap col-when' }, relativeTime(event.received_at || event.occurred_at)),
    h('td', { class: 'col-event' },
      h('div', { class: 'event-cell' },
        h('span', { class: ['event-name', !isPageview && 'mono'], text: isPageview ? 'Pageview' : String(event.event || '') }),
        isPageview ? null : h('span', { class: ['badge', 'badge-event', `badge-event-${event.event === 'purchase' ? 'purchase' : 'event'}`], text: event.event === 'purchase' ? 'Purchase' : 'Event' }))),
    h('td', { class: 'col-who' }, customerCell(event)),
    h('td', { class: 'col-details' },
      event.url ? h('div', { class: 'event-detail' }, urlLink(event.url)) : null,
      summary ? h('div', { class: 'event-detail muted', title: summary, text: summary }) : null,
      !event.url && !summary ? h('span', { class: 'muted', text: '—' }) : null));
}

export function render() {
  const canManage = session.canManage;
  const keyBody = h('div', { class: 'tracking-key' }, canManage ? loadingState('Loading the publishable key…') : null);
  const liveBody = h('div', { class: 'live-body' }, loadingState('Loading events…'));
  const liveStatus = h('span', { class: 'live-status', role: 'status' });
  const liveDot = h('span', { class: 'live-dot', 'aria-hidden': 'true' });
  const pauseLabel = h('span', { text: 'Pause' });
  const pauseButton = h('button', { type: 'button', class: 'button button-secondary button-small', 'aria-pressed': 'false', dataset: { action: 'pause' } },
    icon('pause', 'icon icon-small'), pauseLabel);
  let paused = false;
  let timer = null;
  let loading = false;
  let rows = new Map();
  let tbody = null;
  let stopped = false;

  const root = h('div', { class: 'page page-tracking' },
    pageHeader({
      title: 'Tracking',
      description: 'Connect your website: paste the snippet, then watch pageviews and events arrive.',
    }),
    card({
      title: 'Website snippet',
      description: 'Paste these two lines into every page, just before </head>. The publishable key may only send tracking data, so it is safe in your pages.',
      body: [keyBody],
      className: 'card-snippet',
    }),
    card({
      title: 'Using the tracker',
      description: 'Calls made before the script has loaded are queued by the first line of the snippet.',
      body: [h('ul', { class: 'usage-list' }, USAGE.map((item, index) => h('li', { class: 'usage-item' },
        h('h3', { class: 'usage-title', text: item.title }),
        h('p', { class: 'usage-text', text: item.text }),
        codeBlock(item.code, { label: `${item.title} example`, name: `usage-${index}` }))))],
      className: 'card-usage',
    }),
    card({
      title: 'Live events',
      description: `The last ${LIVE_LIMIT} events of this workspace, newest first. Updates every 5 seconds.`,
      actions: [h('div', { class: 'live-controls' }, h('span', { class: 'live-indicator' }, liveDot, liveStatus), pauseButton)],
      body: [liveBody],
      className: 'card-live',
    }));

  // The key and the snippet ----------------------------------------------------------------
  function showSnippet(key) {
    const content = [];
    if (key) {
      content.push(copyField({ label: `Publishable key · ${key.name}`, value: key.key, name: 'publishable-key', monospace: false }));
    }
    content.push(h('div', { class: 'snippet-field' },
      h('p', { class: 'copy-label', text: 'Snippet' }),
      codeBlock(snippetText(key ? key.key : KEY_PLACEHOLDER), { label: 'Snippet', name: 'snippet' })));
    replace(keyBody, ...content);
  }

  async function loadKey() {
    if (!canManage) {
      replace(keyBody,
        h('div', { class: 'alert alert-info' }, icon('info'),
          h('div', { class: 'alert-content' },
            h('p', { text: 'Only owners and admins can see and create the workspace’s publishable key. Ask one of them for the snippet, or use the one below with their key in place of eck_pub_….' }))),
        h('div', { class: 'snippet-field' },
          h('p', { class: 'copy-label', text: 'Snippet' }),
          codeBlock(snippetText(KEY_PLACEHOLDER), { label: 'Snippet', name: 'snippet' })));
      return;
    }
    try {
      const result = await api.get('/v1/api-keys');
      const key = (result?.data || []).find((item) => item.type === 'publishable' && !String(item.key).includes('…'));
      if (key) {
        showSnippet(key);
        return;
      }
      const create = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'create-publishable-key' } },
        icon('plus'), h('span', { text: 'Create a publishable key' }));
      create.addEventListener('click', () => createKey(create));
      replace(keyBody, emptyState({
        title: 'No publishable key yet',
        text: 'The snippet needs one. It can only send tracking data, never read it.',
        iconName: 'key',
        action: create,
      }));
    } catch (error) {
      if (!error.handled) replace(keyBody, errorState(error, () => { replace(keyBody, loadingState()); loadKey(); }));
    }
  }

  async function createKey(button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const key = await api.post('/v1/api-keys', { name: 'Website', type: 'publishable' });
      showSnippet(key);
      toast('Publishable key “Website” created.');
      keyBody.querySelector('button[data-copy="snippet"]')?.focus();
    } catch (error) {
      if (!error.handled) toast(error.message, 'error');
      if (button.isConnected) {
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    }
  }

  // Live events ----------------------------------------------------------------------------
  function stop() {
    stopped = true;
    clearTimeout(timer);
    timer = null;
    document.removeEventListener('visibilitychange', onVisibility);
    window.removeEventListener('hashchange', onLeave);
  }

  /** Stops for good once the page is no longer shown (the router replaced it). */
  function onLeave() {
    if (!root.isConnected) stop();
  }

  function onVisibility() {
    if (stopped) return;
    if (document.visibilityState === 'visible') refresh();
    else {
      clearTimeout(timer);
      timer = null;
      setStatus();
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (stopped || paused || document.visibilityState !== 'visible') return;
    timer = setTimeout(refresh, REFRESH_MS);
  }

  function setStatus(text) {
    const live = !paused && document.visibilityState === 'visible' && !stopped;
    liveDot.classList.toggle('is-live', live);
    if (text) liveStatus.textContent = text;
    else if (paused) liveStatus.textContent = 'Paused';
  }

  async function refresh() {
    if (!root.isConnected) {
      stop();
      return;
    }
    if (loading) return;
    loading = true;
    clearTimeout(timer);
    try {
      const result = await api.get('/v1/events', { query: { limit: LIVE_LIMIT } });
      if (!root.isConnected) {
        stop();
        return;
      }
      showEvents(result?.data || []);
      const now = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }).format(new Date());
      setStatus(paused ? 'Paused' : `Live · updated ${now}`);
    } catch (error) {
      if (error.handled) {
        stop();
        return;
      }
      setStatus('Could not update. Retrying…');
      if (!tbody) replace(liveBody, errorState(error, () => { replace(liveBody, loadingState('Loading events…')); refresh(); }));
    } finally {
      loading = false;
      schedule();
    }
  }

  function showEvents(events) {
    if (!events.length) {
      rows = new Map();
      tbody = null;
      replace(liveBody, emptyState({
        title: 'No events yet',
        text: 'Once the snippet is on your website, pageviews show up here within seconds.',
        iconName: 'activity',
      }));
      return;
    }
    const first = !tbody;
    if (first) {
      tbody = h('tbody', {});
      const table = h('table', { class: 'table table-live' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: 'When' }),
          h('th', { scope: 'col', text: 'Event' }),
          h('th', { scope: 'col', text: 'Who' }),
          h('th', { scope: 'col', text: 'Page and properties' }))),
        tbody);
      replace(liveBody, tableWrap(table, 'Live events'));
    }
    // Keep the rows already shown (and any focus in them); add the new ones on top.
    const next = new Map();
    let previous = null;
    for (const event of events) {
      const id = event.event_id || `${event.occurred_at}-${event.event}`;
      let row = rows.get(id);
      if (!row) {
        row = eventRow(event);
        if (!first) row.classList.add('is-new');
      }
      next.set(id, row);
      if (previous) previous.after(row);
      else if (tbody.firstChild !== row) tbody.prepend(row);
      previous = row;
    }
    for (const [id, row] of rows) if (!next.has(id)) row.remove();
    rows = next;
    refreshRelativeTimes(tbody);
  }

  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.setAttribute('aria-pressed', String(paused));
    pauseLabel.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.replaceChild(icon(paused ? 'play' : 'pause', 'icon icon-small'), pauseButton.firstChild);
    if (paused) {
      clearTimeout(timer);
      timer = null;
      setStatus('Paused');
    } else {
      refresh();
    }
  });

  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('hashchange', onLeave);
  loadKey();
  // The router attaches the page right after render() returns; the first load waits for that.
  queueMicrotask(refresh);
  return root;
}
