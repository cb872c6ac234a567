// #/segments/{id}: one segment. Its size and state (polled while it rebuilds), its
// definition in words, the member count per day (an SVG chart drawn here), the members
// page by page, the CSV export (fetched with the session, then saved), edit and delete.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { count, dateOnly, money, segmentBadge } from '../components/format.js';
import { confirmDialog } from '../components/dialog.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';
import { navigate } from '../router.js';
import { segmentStyles, statusBadge, swatch } from './segments.js';
import { permitAll } from '../components/permit.js';
import { download } from '../components/download.js';
import { deleteWithUndo, redrawRoute } from '../components/undo.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PER_PAGE = 25;

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c);
  return el;
}

/**
 * The days of a history from where its data starts: its first day with members, an entry or
 * an exit, so that the chart draws no zeros for the days before the segment was built. With
 * no data at all, from the day the segment was made. The last day always stays.
 */
export function fromDataStart(days, createdAt) {
  let start = days.findIndex((d) => d.customers_count || d.entered || d.exited);
  if (start < 0) {
    const made = createdAt && !Number.isNaN(new Date(createdAt).getTime()) ? new Date(createdAt).toISOString().slice(0, 10) : '';
    start = days.findIndex((d) => d.date >= made);
    if (start < 0) start = days.length - 1;
  }
  return days.slice(Math.min(start, Math.max(0, days.length - 1)));
}

/** The member count per day as an area chart with entries and exits as bars beneath. */
export function historyChart(days) {
  const width = 720;
  const height = 200;
  const pad = { left: 44, right: 12, top: 12, bottom: 28 };
  const max = Math.max(1, ...days.map((d) => d.customers_count));
  const moves = Math.max(1, ...days.map((d) => Math.max(d.entered, d.exited)));
  // A single day is drawn as a level line across the chart.
  const series = days.length === 1 ? [days[0], days[0]] : days;
  const x = (i) => pad.left + (series.length <= 1 ? 0 : (i * (width - pad.left - pad.right)) / (series.length - 1));
  const y = (v) => pad.top + (height - pad.top - pad.bottom) * (1 - v / max);
  const line = series.map((d, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(d.customers_count).toFixed(1)}`).join(' ');
  const area = `${line} L${x(series.length - 1).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z`;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'history-chart', role: 'img',
    'aria-label': `Members per day, from ${count(days[0]?.customers_count, '0')} to ${count(days[days.length - 1]?.customers_count, '0')}` });
  for (const v of [0, max / 2, max]) {
    chart.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: 'grid-line' }));
    const label = svg('text', { x: pad.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis-label' });
    label.textContent = count(Math.round(v), '0');
    chart.append(label);
  }
  // Where a day's bars and date go: its point, or the middle of the level line of a single day.
  const at = (i) => (days.length === 1 ? (x(0) + x(1)) / 2 : x(i));
  const barWidth = Math.min(12, Math.max(2, (width - pad.left - pad.right) / Math.max(1, days.length) / 3));
  chart.append(svg('path', { d: area, class: 'history-area' }));
  days.forEach((d, i) => {
    const scale = (height - pad.top - pad.bottom) / 4 / moves;
    if (d.entered) chart.append(svg('rect', { x: at(i) - barWidth, y: y(0) - d.entered * scale, width: barWidth, height: d.entered * scale, class: 'bar-entered' }));
    if (d.exited) chart.append(svg('rect', { x: at(i), y: y(0) - d.exited * scale, width: barWidth, height: d.exited * scale, class: 'bar-exited' }));
  });
  chart.append(svg('path', { d: line, class: 'history-line' }));
  for (const i of new Set([0, Math.floor((days.length - 1) / 2), days.length - 1])) {
    if (!days[i]) continue;
    const anchor = days.length === 1 ? 'middle' : i === 0 ? 'start' : i === days.length - 1 ? 'end' : 'middle';
    const label = svg('text', { x: at(i), y: height - 8, 'text-anchor': anchor, class: 'axis-label' });
    label.textContent = days[i].date;
    chart.append(label);
  }
  return h('figure', { class: 'history-figure' }, chart,
    h('figcaption', { class: 'legend' },
      h('span', { class: 'swatch history-swatch' }), ' members ',
      h('span', { class: 'swatch entered-swatch' }), ' entered ',
      h('span', { class: 'swatch exited-swatch' }), ' exited'));
}

const WORDS = {
  rfm_score: 'RFM score', clv_total: 'total spent', clv_predicted: 'predicted CLV', p_alive: 'probability active', purchase_count: 'purchases',
};

/** A filter document in words, one line per condition, nested for groups. */
export function describe(filters) {
  if (!filters || typeof filters !== 'object') return h('span', { text: String(filters) });
  const items = [];
  if ('property' in filters) {
    const op = Object.keys(filters).find((k) => k !== 'property');
    return h('span', {}, h('code', { text: filters.property }), ` ${String(op).replace('_', ' ')} ${JSON.stringify(filters[op])}`);
  }
  if ('event' in filters) {
    const parts = [`did `, h('code', { text: filters.event }), ` at least ${filters.count_min ?? 1} time(s)`];
    if (filters.within_days !== undefined) parts.push(` in the last ${filters.within_days} days`);
    if (filters.count_max !== undefined) parts.push(`, at most ${filters.count_max}`);
    if (filters.properties) parts.push(` where ${JSON.stringify(filters.properties)}`);
    return h('span', {}, parts);
  }
  for (const [key, value] of Object.entries(filters)) {
    if (key === 'all' || key === 'any') {
      items.push(h('li', {}, h('strong', { text: key === 'all' ? 'All of' : 'Any of' }),
        h('ul', {}, (value || []).map((v) => h('li', {}, describe(v))))));
    } else if (key === 'not') {
      items.push(h('li', {}, h('strong', { text: 'Not: ' }), describe(value)));
    } else if (key.endsWith('_min') && WORDS[key.slice(0, -4)]) {
      items.push(h('li', { text: `${WORDS[key.slice(0, -4)]} ≥ ${value}` }));
    } else if (key.endsWith('_max') && WORDS[key.slice(0, -4)]) {
      items.push(h('li', { text: `${WORDS[key.slice(0, -4)]} ≤ ${value}` }));
    } else if (key === 'in_segment') {
      items.push(h('li', {}, 'in segment ', h('a', { href: `#/segments/${value}`, text: `#${value}` })));
    } else {
      items.push(h('li', { text: `${key.replaceAll('_', ' ')}: ${[].concat(value).join(', ')}` }));
    }
  }
  return items.length ? h('ul', { class: 'filter-words' }, items) : h('span', { class: 'muted', text: 'Every customer' });
}

function historyCard(segment, all) {
  const days = fromDataStart(all, segment.created_at);
  const description = days.length === all.length
    ? `The last ${all.length} days, from every recorded entry and exit.`
    : `Since ${days[0].date}, where its data starts, from every recorded entry and exit.`;
  return card({ title: 'Members per day', description, body: [historyChart(days)], className: 'card-history' });
}

export function render({ params }) {
  segmentStyles();
  const id = Number(params[0]);
  const root = h('div', { class: 'page page-segment' }, loadingState());
  let page = 1;

  async function load() {
    try {
      const [segment, history] = await Promise.all([
        api.get(`/v1/segments/${id}`, { query: { page, per_page: PER_PAGE } }),
        api.get(`/v1/segments/${id}/history`, { query: { days: 30 } }),
      ]);
      replace(root, view(segment, history));
      if (segment.status === 'building' && document.contains(root)) setTimeout(() => document.contains(root) && load(), 1000);
    } catch (error) {
      replace(root, errorState(error, load));
    }
  }

  function view(segment, history) {
    const exportButton = h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'export' } },
      icon('download'), h('span', { text: 'Export CSV' }));
    exportButton.addEventListener('click', async () => {
      exportButton.disabled = true;
      await download(`/v1/segments/${segment.id}/export.csv`, `segment-${segment.id}.csv`).catch((error) => toast(error.message, 'error'));
      exportButton.disabled = false;
    });
    const items = [[exportButton, 'GET /v1/segments/{id}/export.csv', 'export segments']];
    if (!segment.system) {
      items.unshift([h('a', { class: 'button button-secondary', href: `#/segments/${segment.id}/edit` }, icon('edit'), h('span', { text: 'Edit' })),
        'PUT /v1/segments/{id}', 'edit segments']);
      items.push([h('button', { type: 'button', class: 'button button-ghost-danger', dataset: { action: 'delete' }, onClick: async () => {
        // What uses it, as the API counts it (used_by: the campaigns that send to it, the
        // automations that read it); the API answers 409 for a segment another one's filter names.
        const campaigns = segment.used_by?.campaigns || [];
        const automations = segment.used_by?.automations || [];
        const drafts = campaigns.filter((c) => c.status === 'draft' || c.status === 'scheduled').length;
        const named = [[campaigns.length, 'campaign'], [automations.length, 'automation']].filter(([n]) => n).map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`);
        const used = named.length ? ` (used by ${named.join(' and ')})` : '';
        const ok = await confirmDialog({
          title: `Delete the segment ${segment.name}${used}?`,
          message: `Its ${count(segment.customers_count, '0')} memberships and its history go with it; the customers stay.`
            + (drafts ? ` ${drafts === 1 ? 'A campaign not yet sent' : `${drafts} campaigns not yet sent`} will need another segment.` : '')
            + (automations.length ? ` ${automations.map((a) => a.name).join(', ')} will no longer find it.` : '')
            + ' You can undo for 10 seconds.',
          confirmLabel: 'Delete segment',
          danger: true,
        });
        if (!ok) return;
        navigate('/segments');
        deleteWithUndo({ label: `the segment “${segment.name}”`, path: `/v1/segments/${segment.id}`, restore: () => redrawRoute('#/segments') });
      } }, icon('trash'), h('span', { text: 'Delete' })), 'DELETE /v1/segments/{id}', 'delete segments']);
    }
    const actions = permitAll(items);
    const lastPage = segment.meta?.last_page || 1;
    const members = segment.customers.length
      ? h('div', {},
        tableWrap(h('table', { class: 'table segment-members' },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col', text: 'Customer' }), h('th', { scope: 'col', text: 'Email' }),
            h('th', { scope: 'col', class: 'num', text: 'RFM' }), h('th', { scope: 'col', text: 'RFM segment' }),
            h('th', { scope: 'col', class: 'num', text: 'Spent' }))),
          h('tbody', {}, segment.customers.map((c) => h('tr', { dataset: { customerId: String(c.id) } },
            h('td', { class: 'strong' }, h('a', { href: `#/customers/${c.id}`, text: c.name || c.email || `#${c.id}` })),
            h('td', { text: c.email || '' }),
            h('td', { class: 'num', text: c.rfm_score ?? '—' }),
            h('td', {}, c.rfm_segment ? segmentBadge(c.rfm_segment) : null),
            h('td', { class: 'num', text: money(c.clv_total) }))))), 'Members'),
        h('div', { class: 'table-footer' },
          h('span', { class: 'muted', text: `Page ${page} of ${lastPage} · ${count(segment.customers_count, '0')} members` }),
          h('span', { class: 'pager' },
            h('button', { type: 'button', class: 'button button-secondary button-small', disabled: page <= 1, 'aria-label': 'Previous page',
              onClick: () => { page -= 1; load(); } }, icon('chevronLeft')),
            h('button', { type: 'button', class: 'button button-secondary button-small', disabled: page >= lastPage, 'aria-label': 'Next page',
              onClick: () => { page += 1; load(); } }, icon('chevronRight')))))
      : emptyState({ title: segment.status === 'building' ? 'Building…' : 'No members right now', text: 'Members appear here as soon as customers match.' });

    return h('div', { class: 'page-segment-view' },
      h('a', { class: 'back-link', href: '#/segments' }, icon('arrowLeft', 'icon icon-small'), h('span', { text: 'Segments' })),
      pageHeader({ title: segment.name, description: segment.description || '', actions }),
      h('div', { class: 'segment-summary' },
        swatch(segment.color),
        h('span', { class: 'segment-total', dataset: { count: String(segment.customers_count) }, text: count(segment.customers_count, '0') }),
        h('span', { class: 'muted', text: ' customers' }), ' ', statusBadge(segment),
        segment.built_at ? h('span', { class: 'muted segment-built' }, ' · rebuilt ', dateOnly(segment.built_at)) : null),
      h('div', { class: 'segment-grid' },
        historyCard(segment, history.data),
        card({ title: 'Definition', body: [describe(segment.filters)], className: 'card-definition' })),
      card({ title: 'Members', body: [members], className: 'card-members' }));
  }

  load();
  return root;
}
