// Formatting of customer data: money, counts, relative times, places, RFM segments and the
// short summaries of event properties. Everything returns text or elements built with h().

import { h } from '../dom.js';

/** The API gives amounts without a currency: the console shows them in this one. */
export const DEFAULT_CURRENCY = 'EUR';

const moneyFormats = new Map();
const countFormat = new Intl.NumberFormat(undefined);
const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const timeOfDayFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' });
let regionNames = null;
try {
  regionNames = new Intl.DisplayNames(undefined, { type: 'region' });
} catch {
  regionNames = null;
}

function moneyFormat(currency) {
  const code = /^[A-Za-z]{3}$/.test(String(currency || '')) ? String(currency).toUpperCase() : DEFAULT_CURRENCY;
  if (!moneyFormats.has(code)) {
    moneyFormats.set(code, new Intl.NumberFormat(undefined, { style: 'currency', currency: code }));
  }
  return moneyFormats.get(code);
}

/** 4850 → "€4,850.00"; null → the `empty` text. */
export function money(value, { currency = DEFAULT_CURRENCY, empty = '—' } = {}) {
  if (value === null || value === undefined || value === '' || !Number.isFinite(Number(value))) return empty;
  return moneyFormat(currency).format(Number(value));
}

/** 10231 → "10,231". */
export function count(value, empty = '—') {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return empty;
  return countFormat.format(Number(value));
}

function parse(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "3 days ago", "in 2 hours", "just now". */
export function relativeText(value, now = Date.now()) {
  const date = parse(value);
  if (!date) return '';
  const seconds = Math.round((date.getTime() - now) / 1000);
  const size = Math.abs(seconds);
  if (size < 45) return 'just now';
  for (const [unit, length] of UNITS) {
    if (size >= length || unit === 'minute') {
      return relativeFormat.format(Math.round(seconds / length), unit);
    }
  }
  return '';
}

/** A <time> that reads "3 days ago" and shows the exact moment as its title. */
export function relativeTime(value, { empty = 'Never' } = {}) {
  const date = parse(value);
  if (!date) return h('span', { class: 'muted', text: empty });
  return h('time', { datetime: value, title: exactFormat.format(date), text: relativeText(value), dataset: { relative: '' } });
}

/** Brings every relative <time> under `root` up to date. */
export function refreshRelativeTimes(root) {
  const now = Date.now();
  for (const element of root.querySelectorAll('time[data-relative]')) {
    element.textContent = relativeText(element.getAttribute('datetime'), now);
  }
}

/** A date (no time) as a <time>, exact moment in the title. */
export function dateOnly(value, { empty = '—' } = {}) {
  const date = parse(value);
  if (!date) return h('span', { class: 'muted', text: empty });
  return h('time', { datetime: value, title: exactFormat.format(date), text: dateFormat.format(date) });
}

/** The time of day as a <time>, exact moment in the title. */
export function timeOfDay(value) {
  const date = parse(value);
  if (!date) return h('span', { class: 'muted', text: '—' });
  return h('time', { datetime: value, title: exactFormat.format(date), text: timeOfDayFormat.format(date) });
}

/** "Tuesday, 4 November 2026" in the browser's time zone, and a key for grouping by day. */
export function dayLabel(value) {
  const date = parse(value);
  return date ? dayFormat.format(date) : 'Unknown date';
}

export function dayKey(value) {
  const date = parse(value);
  return date ? `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}` : '';
}

/** "HR" → "Croatia"; anything else as given. */
export function countryName(code) {
  const text = String(code || '').trim();
  if (!/^[A-Za-z]{2}$/.test(text) || !regionNames) return text;
  try {
    return regionNames.of(text.toUpperCase()) || text;
  } catch {
    return text;
  }
}

/** "Zagreb, Croatia", or whichever of the two is known; '' when neither. */
export function placeText(city, country) {
  return [city, countryName(country)].map((part) => String(part || '').trim()).filter(Boolean).join(', ');
}

// RFM segment names (the usual eleven) and the tone of their badge.
export const RFM_SEGMENTS = [
  'Champions', 'Loyal Customers', 'Potential Loyalists', 'New Customers', 'Promising', 'Need Attention',
  'About to Sleep', 'At Risk', 'Cannot Lose Them', 'Hibernating', 'Lost',
];
const TONES = {
  champions: 'success', 'loyal customers': 'success', loyal: 'success',
  'potential loyalists': 'info', 'new customers': 'info', promising: 'info', 'recent buyers': 'info',
  'need attention': 'warning', 'about to sleep': 'warning', 'at risk': 'warning', 'cannot lose them': 'danger', "can't lose them": 'danger',
  hibernating: 'neutral', lost: 'danger',
};

/** A segment name as a badge whose colour follows the segment's meaning. */
export function segmentBadge(name) {
  const tone = TONES[String(name || '').trim().toLowerCase()] || 'neutral';
  return h('span', { class: ['badge', `badge-tone-${tone}`], text: name });
}

/** A property value as short text: strings as they are, the rest as JSON. */
export function valueText(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** An event's properties in one line: the amount first (as money), then key: value pairs. */
export function propertiesSummary(properties, max = 140) {
  if (!properties || typeof properties !== 'object' || Array.isArray(properties)) return '';
  const parts = [];
  const entries = Object.entries(properties);
  if (typeof properties.amount === 'number') parts.push(money(properties.amount, { currency: properties.currency }));
  for (const [key, value] of entries) {
    if (typeof properties.amount === 'number' && (key === 'amount' || key === 'currency')) continue;
    parts.push(`${key}: ${valueText(value)}`);
  }
  const text = parts.join(' · ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What an event's properties say, in one line; a pageview's title comes first, as is. */
export function eventSummary(event, max = 140) {
  const properties = event && event.properties && typeof event.properties === 'object' && !Array.isArray(event.properties)
    ? { ...event.properties }
    : {};
  let lead = '';
  if (event?.type === 'pageview' && typeof properties.title === 'string') {
    lead = properties.title;
    delete properties.title;
  }
  const text = [lead, propertiesSummary(properties, max)].filter(Boolean).join(' · ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** An http(s) address as a link that opens in a new tab; anything else as text. */
export function urlLink(url, className = 'event-url') {
  const text = String(url || '');
  if (!text) return null;
  let safe = null;
  try {
    const parsed = new URL(text);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') safe = parsed.href;
  } catch {
    safe = null;
  }
  if (!safe) return h('span', { class: className, text });
  return h('a', { class: className, href: safe, target: '_blank', rel: 'noopener noreferrer nofollow', title: text, text });
}
