// #/dashboard: the workspace at a glance, from one GET /v1/dashboard. The range lives in the
// hash's query (#/dashboard?range=90d, or ?from=2026-01-01&until=2026-01-31, both days in;
// &pipeline=2), so a reload, Back or a shared link shows the same figures. Tiles and charts
// link to the page behind them, filtered to match; the live feed polls GET /v1/events.

import { api } from '../api.js';
import { h, icon, replace, roleBadge } from '../dom.js';
import { count, money, refreshRelativeTimes } from '../components/format.js';
import { card, errorState, loadingState, pageHeader } from '../components/page.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import { feedItem, funnel, kpiTile, rfmBars, seriesChart, topSegments } from './dashboard-parts.js';

const PRESETS = [['7d', '7 days', 7], ['30d', '30 days', 30], ['90d', '90 days', 90], ['12m', '12 months', null]];
const FEED_SECONDS = 15;
const DAY = 86_400_000;

function ensureStyles() {
  if (!document.querySelector('link[href="/css/dashboard.css"]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/css/dashboard.css' }));
  }
}

const iso = (date) => date.toISOString().slice(0, 10);
const addDays = (text, n) => iso(new Date(Date.parse(`${text}T00:00:00Z`) + n * DAY));
const isDay = (text) => /^\d{4}-\d{2}-\d{2}$/.test(text || '') && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));

/** The range the query asks for: a preset (default 30 days) or custom days, `until` included. */
export function rangeFromQuery(query, today = iso(new Date())) {
  const from = query.get('from'), until = query.get('until');
  if (isDay(from) && isDay(until) && from <= until) return { key: 'custom', from, until };
  const preset = PRESETS.find(([key]) => key === query.get('range')) || PRESETS[1];
  if (preset[0] === '12m') {
    const start = new Date(`${today}T00:00:00Z`);
    start.setUTCDate(1);
    start.setUTCMonth(start.getUTCMonth() - 11);
    return { key: '12m', from: iso(start), until: today, interval: 'month' };
  }
  return { key: preset[0], from: addDays(today, 1 - preset[2]), until: today };
}

const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', timeZone: 'UTC' });
const longFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** Chart labels and tooltip titles of the buckets. */
function buckets(data) {
  return data.series.map((b) => {
    const start = new Date(`${b.start}T00:00:00Z`), last = new Date(Date.parse(`${b.end}T00:00:00Z`) - DAY);
    const label = data.interval === 'month' ? monthFormat.format(start) : dayFormat.format(start);
    const title = b.start === iso(last) ? longFormat.format(start) : `${longFormat.format(start)} – ${longFormat.format(last)}`;
    return { ...b, label, title, last: iso(last) };
  });
}

function header(me) {
  const firstName = String(me.user?.name || '').trim().split(/\s+/)[0] || 'there';
  return pageHeader({ eyebrow: me.tenant?.name, title: `Welcome, ${firstName}`, description: 'Your workspace at a glance.' });
}

function picker(range, go) {
  const custom = range.key === 'custom';
  const fromInput = h('input', { type: 'date', class: 'select-compact', name: 'from', value: range.from, 'aria-label': 'From' });
  const untilInput = h('input', { type: 'date', class: 'select-compact', name: 'until', value: range.until, 'aria-label': 'Until' });
  const form = h('form', { class: ['range-custom', custom ? null : 'is-hidden'], onSubmit: (event) => {
    event.preventDefault();
    if (isDay(fromInput.value) && isDay(untilInput.value) && fromInput.value <= untilInput.value) {
      go({ from: fromInput.value, until: untilInput.value });
    } else {
      untilInput.setCustomValidity('The end must be on or after the start.');
      untilInput.reportValidity();
    }
  } }, fromInput, h('span', { class: 'muted', text: '–' }), untilInput,
  h('button', { type: 'submit', class: 'button button-secondary button-small', text: 'Apply' }));
  untilInput.addEventListener('input', () => untilInput.setCustomValidity(''));
  const buttons = PRESETS.map(([key, label]) => h('button', {
    type: 'button', class: 'segmented-button', 'aria-pressed': String(range.key === key), text: label, onClick: () => go({ range: key }),
  }));
  const customButton = h('button', { type: 'button', class: 'segmented-button', 'aria-pressed': String(custom), text: 'Custom',
    onClick: () => { form.classList.remove('is-hidden'); fromInput.focus(); } });
  return h('div', { class: 'range-picker', role: 'group', 'aria-label': 'Period' },
    h('div', { class: 'segmented' }, buttons, customButton), form);
}

function firstRun(me) {
  const steps = [
    { href: '#/tracking', iconName: 'activity', title: 'Add tracking to your website', text: 'Paste the snippet: page views and purchases start arriving here within seconds.' },
    { href: '#/customers/new', iconName: 'customers', title: 'Add or import customers', text: 'Create a customer by hand or send your list through POST /v1/track/batch.' },
    session.canManage && { href: '#/settings/api-keys', iconName: 'key', title: 'Connect your servers', text: 'Create a secret API key to send orders and events from your backend.' },
    session.canManage && { href: '#/settings/members', iconName: 'users', title: 'Invite your team', text: 'Add members and set their roles.' },
  ].filter(Boolean);
  return card({
    title: `Let’s get ${me.tenant?.name || 'your workspace'} going`,
    description: 'There are no customers or events yet. Once data arrives, this page shows your revenue, customers, campaigns and pipeline.',
    className: 'card-first-run',
    body: [h('ol', { class: 'first-run-steps' }, steps.map((s) => h('li', {}, h('a', { class: 'quick-link', href: s.href },
      h('span', { class: 'quick-link-icon' }, icon(s.iconName)),
      h('span', { class: 'quick-link-text' }, h('span', { class: 'quick-link-title', text: s.title }), h('span', { class: 'quick-link-description', text: s.text })),
      icon('chevronRight', 'icon icon-small quick-link-chevron')))))],
  });
}

function tiles(data, range) {
  const k = data.kpis;
  const created = `#/customers?created_after=${range.from}&created_before=${range.until}`;
  const entries = [
    { key: 'customers', label: 'Customers', href: '#/customers' },
    { key: 'new_customers', label: 'New customers', href: created },
    { key: 'active_customers', label: 'Active customers', href: '#/customers?sort=last_seen_at&order=desc', note: k.active_customers?.counting ? 'Counting… reload in a moment' : '' },
    { key: 'events', label: 'Events', href: '#/tracking' },
    { key: 'revenue', label: 'Revenue', href: '#/customers?sort=clv_total&order=desc' },
    { key: 'average_order_value', label: 'Average order', href: '#/analytics' },
    { key: 'predicted_clv', label: 'Predicted CLV of the base', href: '#/analytics', note: k.predicted_clv?.as_of ? `${count(k.predicted_clv.customers)} customers scored` : 'Not computed yet' },
    { key: 'messages_sent', label: 'Campaign messages sent', href: '#/campaigns' },
    { key: 'human_open_rate', label: 'Human open rate', href: '#/campaigns', note: rateNote(k.human_open_rate) },
    { key: 'human_click_rate', label: 'Human click rate', href: '#/campaigns', note: rateNote(k.human_click_rate) },
    { key: 'open_pipeline_value', label: 'Open pipeline value', href: pipelineHref(data), note: k.open_pipeline_value?.open_entries !== null && k.open_pipeline_value?.open_entries !== undefined ? `${count(k.open_pipeline_value.open_entries)} open entries` : 'No pipeline yet' },
  ];
  return h('div', { class: 'kpi-grid', dataset: { testid: 'kpis' } }, entries.map((e) => kpiTile({ ...e, tile: k[e.key] })));
}

/** Why a rate has no comparison: no delivered message in the period, or in the one before. */
function rateNote(tile) {
  return tile?.value === null || tile?.value === undefined ? 'No messages in the period' : 'No messages in the period before';
}

function pipelineHref(data) {
  const f = data.funnel;
  return f ? `#/pipelines/${f.crm_entity_id}/board?pipeline=${f.pipeline_id}` : '#/pipelines';
}

function charts(data, range) {
  const series = buckets(data);
  const customersOf = (i) => navigate(`/customers?created_after=${series[i].start}&created_before=${series[i].last}`);
  return h('div', { class: 'chart-grid' },
    card({ title: 'New customers', className: 'card-chart', actions: [h('a', { class: 'button button-ghost button-small', href: `#/customers?created_after=${range.from}&created_before=${range.until}`, text: 'View customers' })],
      body: [seriesChart({ label: 'New customers', series, field: 'new_customers', onBucket: customersOf })] }),
    card({ title: 'Events', className: 'card-chart', actions: [h('a', { class: 'button button-ghost button-small', href: '#/tracking', text: 'Open tracking' })],
      body: [seriesChart({ label: 'Events', series, field: 'events', type: 'line', onBucket: () => navigate('/tracking') })] }),
    card({ title: 'Revenue', className: 'card-chart', actions: [h('a', { class: 'button button-ghost button-small', href: '#/analytics', text: 'Open analytics' })],
      body: [seriesChart({ label: 'Revenue', series, field: 'revenue', format: (v) => money(v), colour: '--success', onBucket: () => navigate('/analytics') })] }));
}

function pipelineCard(data, go) {
  const select = data.pipelines.length > 1
    ? h('select', { class: 'select-compact', 'aria-label': 'Pipeline', onChange: (event) => go({ pipeline: event.target.value }) },
      data.pipelines.map((p) => h('option', { value: String(p.id), selected: data.funnel?.pipeline_id === p.id, text: p.name })))
    : null;
  const body = data.funnel
    ? [funnel(data.funnel, pipelineHref(data)),
      h('p', { class: 'funnel-totals muted', text: `${count(data.funnel.totals.open)} open · ${count(data.funnel.totals.won)} won · ${count(data.funnel.totals.lost)} lost${data.funnel.win_rate === null ? '' : ` · win rate ${Math.round(data.funnel.win_rate * 100)} %`}` })]
    : [h('p', { class: 'muted' }, 'No pipeline yet. ', h('a', { href: '#/pipelines', text: 'Set one up' }), '.')];
  return card({ title: data.funnel ? `Pipeline: ${data.funnel.name}` : 'Pipeline', className: 'card-funnel', actions: select ? [select] : [], body });
}

export function render({ query }) {
  ensureStyles();
  const me = session.me;
  const range = rangeFromQuery(query);
  const pipeline = /^\d+$/.test(query.get('pipeline') || '') ? query.get('pipeline') : null;
  const body = h('div', { class: 'dashboard-body' }, loadingState('Loading the dashboard…'));
  const feedList = h('ul', { class: 'feed', 'aria-live': 'polite', dataset: { testid: 'live-feed' } });
  let timer = null;
  let stopped = false;

  /** Goes to the dashboard with a part of its state changed (a preset, custom days, a pipeline). */
  function go(change) {
    const next = { key: range.key, from: range.from, until: range.until, pipeline, ...change };
    if (change.range) next.key = change.range;
    if (change.from) next.key = 'custom';
    const params = new URLSearchParams();
    if (next.key === 'custom') {
      params.set('from', next.from);
      params.set('until', next.until);
    } else if (next.key !== '30d') {
      params.set('range', next.key);
    }
    if (next.pipeline) params.set('pipeline', next.pipeline);
    const text = params.toString();
    navigate(`/dashboard${text ? `?${text}` : ''}`);
  }

  const root = h('div', { class: 'page page-dashboard' },
    header(me),
    h('div', { class: 'dashboard-meta' },
      h('span', { class: 'muted', text: 'Workspace' }), h('strong', { dataset: { testid: 'workspace-name' }, text: me.tenant?.name || '' }),
      h('span', { class: 'muted', text: 'Your role' }), h('span', { dataset: { testid: 'role' } }, roleBadge(me.role))),
    body);

  function showFeed(events) {
    replace(feedList, events.length ? events.map(feedItem) : h('li', { class: 'muted', text: 'No events yet.' }));
  }

  async function poll() {
    timer = null;
    if (stopped || !root.isConnected) { stop(); return; }
    if (document.visibilityState === 'visible') {
      try {
        showFeed((await api.get('/v1/events', { query: { limit: 10 } })).data);
      } catch { /* the next poll tries again */ }
    }
    refreshRelativeTimes(feedList);
    if (!stopped) timer = setTimeout(poll, FEED_SECONDS * 1000);
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    window.removeEventListener('hashchange', onLeave);
  }
  function onLeave() { if (!root.isConnected) stop(); }
  window.addEventListener('hashchange', onLeave);

  async function load() {
    const params = { from: range.from, to: addDays(range.until, 1) };
    if (range.interval) params.interval = range.interval;
    if (pipeline) params.pipeline_id = pipeline;
    let data;
    try {
      data = await api.get('/v1/dashboard', { query: params });
    } catch (error) {
      replace(body, errorState(error, load));
      return;
    }
    if (data.empty) {
      replace(body, firstRun(me));
      return;
    }
    showFeed(data.latest_events);
    replace(body,
      h('div', { class: 'dashboard-toolbar' }, picker(range, go),
        h('p', { class: 'muted range-note', dataset: { testid: 'range-label' }, text: `${longFormat.format(new Date(`${data.from}T00:00:00Z`))} – ${longFormat.format(new Date(Date.parse(`${data.to}T00:00:00Z`) - DAY))}, compared with the ${count((Date.parse(data.to) - Date.parse(data.from)) / DAY)} days before (UTC)` })),
      tiles(data, range),
      charts(data, range),
      h('div', { class: 'dash-grid' },
        pipelineCard(data, go),
        card({ title: 'Top segments', description: 'The largest segments and their change over the period.', className: 'card-segments',
          actions: [h('a', { class: 'button button-ghost button-small', href: '#/segments', text: 'All segments' })], body: [topSegments(data.top_segments)] }),
        card({ title: 'RFM distribution', description: 'Customers by RFM segment, from the last analytics run.', className: 'card-rfm',
          actions: [h('a', { class: 'button button-ghost button-small', href: '#/analytics', text: 'Analytics' })], body: [rfmBars(data.rfm)] }),
        card({ title: 'Live feed', description: `The latest events, refreshed every ${FEED_SECONDS} seconds.`, className: 'card-feed',
          actions: [h('a', { class: 'button button-ghost button-small', href: '#/tracking', text: 'All events' })], body: [feedList] })));
    if (!timer && !stopped) timer = setTimeout(poll, FEED_SECONDS * 1000);
  }

  queueMicrotask(load);
  return root;
}
