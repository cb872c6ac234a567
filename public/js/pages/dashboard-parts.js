// The home dashboard's parts: KPI tiles, the charts (Chart.js, Debian's libjs-chart.js that
// nginx serves from /usr/share/javascript), the funnel, segments, RFM bars and the live feed.
// User data goes in as text; widths and colours through the CSSOM (the CSP forbids style
// attributes).

import { h, icon } from '../dom.js';
import { count, eventSummary, money, relativeTime } from '../components/format.js';

let chartModule = null;

/** Chart.js, loaded on the dashboard's first visit. */
export function loadCharts() {
  if (!chartModule) {
    chartModule = import('/javascript/chart.js/chart.mjs').then((m) => {
      m.Chart.register(...m.registerables);
      return m.Chart;
    });
  }
  return chartModule;
}

function styled(element, style) {
  Object.assign(element.style, style);
  return element;
}

/** The value of a tile as text. */
export function tileValue(tile) {
  if (!tile || tile.value === null || tile.value === undefined) return '—';
  if (tile.unit === 'money') return money(tile.value);
  if (tile.unit === 'percent') return `${Number(tile.value).toFixed(1)} %`;
  return count(tile.value);
}

/** "▲ 12.5 %" (or points for rates), with its direction for the colour; null without a change. */
export function changeText(tile) {
  if (!tile || tile.change === null || tile.change === undefined) return null;
  const value = Number(tile.change);
  const direction = value > 0 ? 'up' : value < 0 ? 'down' : 'flat';
  const amount = tile.unit === 'percent'
    ? `${Math.abs(value).toFixed(1)} pts`
    : `${Math.abs(value * 100).toLocaleString(undefined, { maximumFractionDigits: Math.abs(value) < 0.1 ? 1 : 0 })} %`;
  return { direction, text: amount };
}

/** A KPI tile: a link to the page behind it, the value, and the change against the previous period. */
export function kpiTile({ key, label, tile, href, note }) {
  const change = changeText(tile);
  const previous = tile && tile.previous !== null && tile.previous !== undefined ? `vs ${tileValue({ ...tile, value: tile.previous })}` : note || '';
  return h('a', { class: 'kpi-tile', href, dataset: { kpi: key } },
    h('span', { class: 'kpi-label', text: label }),
    h('span', { class: 'kpi-value', dataset: { testid: `kpi-${key}` }, text: tileValue(tile) }),
    h('span', { class: 'kpi-foot' },
      change
        ? h('span', { class: ['kpi-change', `kpi-${change.direction}`], 'aria-label': `${change.direction === 'down' ? 'down' : change.direction === 'up' ? 'up' : 'unchanged'} ${change.text} on the previous period` },
          change.direction === 'flat' ? null : icon(change.direction === 'up' ? 'arrowUp' : 'arrowDown', 'icon icon-small'),
          h('span', { text: change.direction === 'flat' ? '0 %' : change.text }))
        : null,
      h('span', { class: 'kpi-previous', text: previous })));
}

const charts = new WeakMap();

/**
 * A colour variable as the canvas needs it: "rgb(79, 70, 229)". The variables hold
 * light-dark() pairs, which only the CSS engine resolves (for the scheme in force).
 */
function resolved(within, variable, fallback) {
  const probe = h('span', { 'aria-hidden': 'true' });
  probe.style.color = `var(${variable}, ${fallback})`;
  within.append(probe);
  const colour = getComputedStyle(probe).color || fallback;
  probe.remove();
  return colour;
}

/** The same colour, see-through. */
function faded(colour, alpha) {
  const parts = colour.match(/[\d.]+/g);
  return parts && parts.length >= 3 ? `rgba(${parts[0]}, ${parts[1]}, ${parts[2]}, ${alpha})` : colour;
}

/**
 * A chart of one series on a canvas (its colour a CSS variable, --accent by default): bars or a line, axes, tooltips. `onBucket(index)` is
 * called on a click of a bar or point (the page behind it, filtered to that bucket). `also`: more series of the same buckets
 * ([{ label, field, colour }]), drawn the same way with a legend.
 */
export function seriesChart({ label, series, field, type = 'bar', format = count, colour, onBucket, also = [] }) {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${label} per period` });
  const holder = h('div', { class: 'chart-holder' }, canvas);
  loadCharts().then((Chart) => {
    if (!holder.isConnected) return;
    const muted = resolved(holder, '--muted', '#667085');
    const grid = resolved(holder, '--border', '#e4e7ec');
    const dataset = (name, key, variable) => {
      const accent = resolved(holder, variable || '--accent', '#4f46e5');
      return {
        label: name, data: series.map((b) => Number(b[key])), backgroundColor: type === 'bar' ? accent : faded(accent, 0.2),
        borderColor: accent, borderWidth: type === 'line' ? 2 : 0, fill: type === 'line' && !also.length, tension: 0.25,
        pointRadius: series.length > 40 ? 0 : 2, maxBarThickness: 28,
      };
    };
    const chart = new Chart(canvas, {
      type,
      data: {
        labels: series.map((b) => b.label),
        datasets: [dataset(label, field, colour), ...also.map((x) => dataset(x.label, x.field, x.colour))],
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { display: also.length > 0, labels: { color: muted } },
          tooltip: { callbacks: { title: (items) => series[items[0].dataIndex].title, label: (item) => `${item.dataset.label}: ${format(item.raw)}` } },
        },
        scales: {
          x: { grid: { display: false }, ticks: { color: muted, maxRotation: 0, autoSkip: true, autoSkipPadding: 12, maxTicksLimit: Math.max(2, Math.floor((holder.clientWidth || 300) / 80)) } },
          y: { beginAtZero: true, grid: { color: grid }, ticks: { color: muted, maxTicksLimit: 5, precision: format === count ? 0 : undefined, callback: (v) => format(v) } },
        },
        onClick: (_event, elements) => { if (elements.length && onBucket) onBucket(elements[0].index); },
        onHover: (event, elements) => { event.native.target.style.cursor = elements.length && onBucket ? 'pointer' : 'default'; },
      },
    });
    charts.set(holder, chart);
  }).catch(() => {
    holder.replaceChildren(h('p', { class: 'muted', text: 'The chart library could not be loaded.' }));
  });
  return holder;
}

/** The funnel of a pipeline: a bar per stage (lost stages after), its entries and value. */
export function funnel(stats, href) {
  const stages = stats?.stages || [];
  if (!stages.length) return h('p', { class: 'muted', text: 'This pipeline has no stages yet.' });
  const max = Math.max(1, ...stages.map((s) => s.count));
  return h('ol', { class: 'funnel', 'aria-label': `Entries per stage of ${stats.name}` },
    stages.map((stage) => h('li', { class: ['funnel-row', `funnel-${stage.status}`] },
      h('a', { class: 'funnel-link', href },
        h('span', { class: 'funnel-name', text: stage.name }),
        h('span', { class: 'funnel-track' }, styled(h('span', { class: 'funnel-bar' }), { width: `${Math.max(2, (stage.count / max) * 100)}%`, ...(stage.color ? { background: stage.color } : {}) })),
        h('span', { class: 'funnel-count', text: count(stage.count) }),
        h('span', { class: 'funnel-sum', text: stage.sum === null || stage.sum === undefined ? '' : money(stage.sum) })))));
}

/** The largest segments, their size at the end of the period and the change over it. */
export function topSegments(segments) {
  if (!segments.length) return h('p', { class: 'muted' }, 'No segments yet. ', h('a', { href: '#/segments/new', text: 'Create one' }), '.');
  return h('ul', { class: 'dash-list' }, segments.map((s) => {
    const tile = { unit: 'count', change: s.change };
    const change = changeText(tile);
    const swatch = styled(h('span', { class: 'dash-swatch', 'aria-hidden': 'true' }), { background: s.color || 'var(--accent)' });
    return h('li', {}, h('a', { class: 'dash-list-link', href: `#/segments/${s.id}` },
      swatch,
      h('span', { class: 'dash-list-name', text: s.name }),
      h('span', { class: 'dash-list-value', text: count(s.customers_at_end) }),
      h('span', { class: ['kpi-change', `kpi-${change?.direction || 'flat'}`], title: `${count(s.entered)} entered, ${count(s.exited)} exited in the period` },
        change && change.direction !== 'flat' ? icon(change.direction === 'up' ? 'arrowUp' : 'arrowDown', 'icon icon-small') : null,
        h('span', { text: change ? (change.direction === 'flat' ? '0 %' : change.text) : `+${count(s.entered)}` }))));
  }));
}

/** The built-in RFM segments as bars, each a link to its customers. */
export function rfmBars(rfm) {
  const segments = rfm?.segments || [];
  if (!segments.length) {
    return h('p', { class: 'muted' }, 'RFM scores appear after the first analytics run. ', h('a', { href: '#/analytics', text: 'Open Analytics' }), '.');
  }
  const total = Math.max(1, segments.reduce((sum, s) => sum + s.customers, 0));
  return h('ul', { class: 'rfm-bars' }, segments.map((s) => h('li', {},
    h('a', { class: 'rfm-bar-link', href: `#/customers?rfm_segment=${encodeURIComponent(s.segment)}` },
      h('span', { class: 'rfm-bar-name', text: s.segment }),
      h('span', { class: 'funnel-track' }, styled(h('span', { class: 'funnel-bar' }), { width: `${(s.customers / total) * 100}%`, background: s.color || 'var(--accent)' })),
      h('span', { class: 'rfm-bar-count', text: `${count(s.customers)} · ${Math.round((s.customers / total) * 100)} %` })))));
}

/** One event of the live feed. */
export function feedItem(event) {
  const who = event.customer_name || event.customer_email || (event.customer_id ? `Customer ${event.customer_id}` : 'Anonymous visitor');
  const href = event.customer_id ? `#/customers/${event.customer_id}` : '#/tracking';
  return h('li', { class: 'feed-item', dataset: { id: event.event_id || '' } },
    h('a', { class: 'feed-link', href },
      h('span', { class: 'feed-event', text: event.event || event.type }),
      h('span', { class: 'feed-who', text: who }),
      h('span', { class: 'feed-detail', text: eventSummary(event, 80) }),
      h('span', { class: 'feed-time' }, relativeTime(event.occurred_at))));
}
