// #/analytics: RFM and predicted lifetime value. The R×F grid as a heat map, the segment
// sizes, the CLV model card (parameters, customers, model, as_of), the calibration chart
// (predicted vs actual holdout purchases per frequency bucket) and the distribution of
// predicted CLV. All user data goes in as text.

import { api } from '../api.js';
import { h, icon, replace } from '../dom.js';
import { count, dateOnly, money, segmentBadge } from '../components/format.js';
import { card, emptyState, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';
import { permit } from '../components/permit.js';

const MODEL_LABELS = {
  bgnbd_gamma_gamma: 'BG/NBD + Gamma-Gamma',
  bgnbd_mean_spend: 'BG/NBD + each customer’s mean order (heuristic spend)',
  heuristic_historical_rate: 'Heuristic: historical purchase rate (too little data for a model)',
};

/** Styles go through the CSSOM: the content security policy forbids style attributes. */
function styled(element, style) {
  Object.assign(element.style, style);
  return element;
}

/** A bar whose width is a percentage. */
function bar(className, percent, title = null) {
  return styled(h('span', { class: className, title }), { width: `${percent}%` });
}

function number(value, digits = 3) {
  return value === null || value === undefined ? '—' : Number(value).toPrecision(digits);
}

/** The 5×5 grid: R rows from 5 down to 1, F columns from 1 to 5, shaded by customers. */
export function heatMap(rfm) {
  const max = Math.max(1, ...rfm.grid.map((cell) => cell.customers));
  const rows = [5, 4, 3, 2, 1].map((r) => h('tr', {},
    h('th', { scope: 'row', text: `R ${r}` }),
    [1, 2, 3, 4, 5].map((f) => {
      const cell = rfm.grid.find((c) => c.r === r && c.f === f) || { customers: 0, revenue: 0, segment: '' };
      const share = cell.customers / max;
      return styled(h('td', {
        class: 'heat-cell',
        dataset: { r: String(r), f: String(f) },
        title: `${cell.segment}: ${cell.customers} customers, ${money(cell.revenue)}`,
      },
      h('span', { class: 'heat-count', text: count(cell.customers, '0') }),
      h('span', { class: 'heat-segment', text: cell.segment })),
      { background: `color-mix(in srgb, var(--accent) ${Math.round(share * 85)}%, transparent)` });
    })));
  return tableWrap(h('table', { class: 'heat-map' },
    h('caption', { class: 'visually-hidden', text: 'Customers by recency (rows) and frequency (columns)' }),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: '' }), [1, 2, 3, 4, 5].map((f) => h('th', { scope: 'col', text: `F ${f}` })))),
    h('tbody', {}, rows)), 'RFM heat map');
}

function segmentList(rfm) {
  const max = Math.max(1, ...rfm.segments.map((s) => s.customers));
  return h('ul', { class: 'bar-list' }, rfm.segments.map((s) => h('li', { class: 'bar-row', dataset: { segment: s.segment } },
    segmentBadge(s.segment),
    bar('bar', Math.round((s.customers / max) * 100)),
    h('span', { class: 'bar-value', text: `${count(s.customers, '0')} · ${money(s.revenue)}` }))));
}

function modelCard(clv) {
  if (!clv.as_of) return emptyState({ title: 'Not computed yet', text: 'Recompute to score customers and fit the model.' });
  const rows = [
    ['Model', MODEL_LABELS[clv.model] || clv.model],
    ['As of', dateOnly(clv.as_of)],
    ['Customers', count(clv.customers, '0')],
    ['Repeat customers', count(clv.repeat_customers, '0')],
    ['Horizon', `${clv.horizon_months} months, discounted ${(Number(clv.monthly_discount_rate) * 100).toFixed(1)}% a month`],
  ];
  if (clv.bgnbd) {
    rows.push(['BG/NBD (weeks)', `r ${number(clv.bgnbd.r)} · α ${number(clv.bgnbd.alpha)} · a ${number(clv.bgnbd.a)} · b ${number(clv.bgnbd.b)}`]);
    rows.push(['BG/NBD log-likelihood', number(clv.bgnbd.log_likelihood, 8)]);
    const { a, b } = clv.bgnbd;
    // a and b grow without bound when every customer has the same dropout probability.
    if (a + b > 1e4) rows.push(['Dropout', `${((a / (a + b)) * 100).toFixed(1)}% after each purchase, the same for every customer (a, b at their limit)`]);
  }
  if (clv.gamma_gamma) {
    const { p, q, v } = clv.gamma_gamma;
    rows.push(['Gamma-Gamma', `p ${number(p)} · q ${number(q)} · v ${number(v)}`]);
    rows.push(['Mean spend per order', money((p * v) / (q - 1))]);
  }
  return h('table', { class: 'kv-table', dataset: { model: clv.model } },
    h('caption', { class: 'visually-hidden', text: 'CLV model' }),
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row', text: k }), h('td', {}, v)))));
}

function distribution(clv) {
  const bins = clv.distribution || [];
  const max = Math.max(1, ...bins.map((b) => b.customers));
  return h('ul', { class: 'bar-list' }, bins.map((b) => h('li', { class: 'bar-row' },
    h('span', { class: 'bar-label', text: b.to === null ? `${money(b.from)}+` : `${money(b.from)}–${money(b.to)}` }),
    bar('bar', Math.round((b.customers / max) * 100)),
    h('span', { class: 'bar-value', text: count(b.customers, '0') }))));
}

/** Predicted and actual mean holdout purchases per customer, side by side per bucket. */
export function calibrationChart(cal) {
  const max = Math.max(0.01, ...cal.buckets.flatMap((b) => [b.actual, b.predicted ?? 0]));
  return h('div', { class: 'calibration' },
    h('p', { class: 'muted' }, 'Fitted up to ', dateOnly(cal.calibration_end),
      `; holdout of ${Number(cal.holdout_weeks).toFixed(1)} weeks. Total actual ${count(cal.actual_purchases, '0')}, predicted ${cal.predicted_purchases === null ? '—' : Number(cal.predicted_purchases).toFixed(0)}.`),
    h('ul', { class: 'bar-list' }, cal.buckets.map((b) => h('li', { class: 'bar-row bar-pair', dataset: { frequency: b.frequency } },
      h('span', { class: 'bar-label', text: `${b.frequency} repeat · ${count(b.customers, '0')}` }),
      h('span', { class: 'bar-stack' },
        bar('bar bar-actual', Math.round((b.actual / max) * 100), `Actual ${b.actual.toFixed(2)}`),
        bar('bar bar-predicted', Math.round(((b.predicted ?? 0) / max) * 100), `Predicted ${b.predicted === null ? '—' : b.predicted.toFixed(2)}`)),
      h('span', { class: 'bar-value', text: `${b.actual.toFixed(2)} / ${b.predicted === null ? '—' : b.predicted.toFixed(2)}` })))),
    h('p', { class: 'legend' }, h('span', { class: 'swatch bar-actual' }), ' actual ', h('span', { class: 'swatch bar-predicted' }), ' predicted'));
}

export function render() {
  const rfmBody = h('div', {}, loadingState());
  const segmentsBody = h('div', {}, loadingState());
  const modelBody = h('div', {}, loadingState());
  const distributionBody = h('div', {}, loadingState());
  const calibrationBody = h('div', {}, h('p', { class: 'muted', text: 'Choose where the calibration period ends; the rest is the holdout.' }));
  const defaultEnd = new Date(Date.now() - 182 * 86400000).toISOString().slice(0, 10);
  const endInput = h('input', { type: 'date', class: 'input', value: defaultEnd, 'aria-label': 'Calibration end' });
  const runButton = h('button', { type: 'button', class: 'button button-secondary', text: 'Compare' });
  const recomputeButton = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'recompute' } },
    icon('activity'), h('span', { text: 'Recompute' }));
  const recomputeControl = permit(recomputeButton, 'POST /v1/analytics/recompute', 'recompute the analytics');

  async function load() {
    try {
      const [rfm, clv] = await Promise.all([api.get('/v1/analytics/rfm'), api.get('/v1/analytics/clv')]);
      replace(rfmBody, rfm.customers ? heatMap(rfm) : emptyState({ title: 'No purchasers scored yet', text: 'Purchases tracked with an amount are scored at the next recompute.' }));
      replace(segmentsBody, segmentList(rfm));
      replace(modelBody, modelCard(clv));
      replace(distributionBody, clv.as_of ? distribution(clv) : emptyState({ title: 'No predictions yet' }));
    } catch (error) {
      replace(rfmBody, errorState(error, load));
    }
  }

  runButton.addEventListener('click', async () => {
    replace(calibrationBody, loadingState('Fitting and comparing…'));
    try {
      const cal = await api.get('/v1/analytics/clv/calibration', { query: { calibration_end: `${endInput.value}T00:00:00Z` } });
      replace(calibrationBody, cal.model ? calibrationChart(cal) : emptyState({ title: 'Too little data before that date to fit the model' }));
    } catch (error) {
      replace(calibrationBody, errorState(error));
    }
  });

  recomputeButton.addEventListener('click', async () => {
    recomputeButton.disabled = true;
    try {
      await api.post('/v1/analytics/recompute', {});
      toast('Recompute queued. The figures update when it is done.', 'success');
      setTimeout(load, 3000);
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      recomputeButton.disabled = false;
    }
  });

  load();
  return h('div', { class: 'page page-analytics' },
    pageHeader({
      title: 'Analytics',
      description: 'RFM segments and predicted lifetime value, fitted to this workspace’s purchases.',
      actions: [recomputeControl],
    }),
    card({ title: 'RFM grid', description: 'Customers by recency (R, 5 = most recent) and purchase frequency (F). Quintiles of this workspace’s purchasers.', body: [rfmBody] }),
    card({ title: 'Segments', description: 'Customers and revenue per segment.', body: [segmentsBody] }),
    card({ title: 'CLV model', description: 'Expected purchases and the chance a customer is still active from BG/NBD, fitted on every purchaser, those who only bought for 0 included. Spend from Gamma-Gamma, fitted on repeat buyers who spent more than 0; everyone else gets its mean spend per order. A heuristic only when too little data, and labelled so.', body: [modelBody] }),
    card({ title: 'Predicted CLV distribution', body: [distributionBody] }),
    card({ title: 'Calibration', description: 'Fit on purchases before a date, then compare predicted with actual purchases after it, by how often customers bought before.',
      actions: [endInput, runButton], body: [calibrationBody] }));
}
