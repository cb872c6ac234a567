// The campaign page's report (GET /v1/campaigns/{id}/report): opens and clicks over time as
// a chart (Chart.js, through the dashboard's seriesChart) and the clicks per link.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { count, dayLabel, urlLink } from '../components/format.js';
import { card, tableWrap } from '../components/page.js';
import { seriesChart } from './dashboard-parts.js';

const hourFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** The report's cards, filled in when it arrives. */
export function reportCards(id) {
  const overTime = h('div', { class: 'report-chart' }, h('p', { class: 'muted', text: 'Loading the report…' }));
  const links = h('div', { class: 'report-links' });
  load();
  return [
    card({ title: 'Opens and clicks over time', description: 'Every open and click, security scanners left out.', body: [overTime] }),
    card({ title: 'Clicks per link', description: 'Clicks, and how many recipients clicked.', body: [links] }),
  ];

  async function load() {
    try {
      const r = await api.get(`/v1/campaigns/${id}/report`);
      const format = r.interval === 'hour' ? hourFormat : dayFormat;
      const series = r.series.map((p) => ({ ...p, label: format.format(new Date(p.at)), title: r.interval === 'hour' ? hourFormat.format(new Date(p.at)) : dayLabel(p.at) }));
      replace(overTime, series.length
        ? seriesChart({ label: 'Opens', field: 'opens', series, type: 'line', also: [{ label: 'Clicks', field: 'clicks', colour: '--success' }] })
        : h('p', { class: 'muted', text: 'No opens or clicks yet.' }),
        h('p', { class: 'muted small', dataset: { testid: 'report-totals' }, text: `${count(r.totals.opens, '0')} opens and ${count(r.totals.clicks, '0')} clicks in all, by ${r.interval}.` }));
      const table = h('table', { class: 'table table-report-links' },
        h('thead', {}, h('tr', {}, [['Link', ''], ['Clicks', 'num'], ['Recipients', 'num']].map(([t, c]) => h('th', { scope: 'col', class: c, text: t })))),
        h('tbody', {}, r.links.map((l) => h('tr', { dataset: { url: l.url } },
          h('td', { class: 'url' }, urlLink(l.url, 'report-url')),
          h('td', { class: 'num', text: count(l.clicks, '0') }),
          h('td', { class: 'num', text: count(l.unique_clicks, '0') })))));
      replace(links, r.links.length ? tableWrap(table, 'Clicks per link') : h('p', { class: 'muted', text: 'No link clicked yet.' }));
    } catch (error) {
      if (error.handled) return;
      replace(overTime, h('p', { class: 'muted', text: `The report could not be loaded: ${error.message}` }));
    }
  }
}
