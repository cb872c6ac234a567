// What the pipeline CRM pages share: their stylesheet, the entity's header and tabs, stage
// badges, and how a field's value reads.

import { h, icon } from '../dom.js';
import { pageHeader } from '../components/page.js';

let styled = false;

/** Adds the CRM stylesheet to the document once (a <link>: the CSP allows 'self'). */
export function ensureStyles() {
  if (styled) return;
  styled = true;
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/pipelines.css' }));
}

const HEX = /^#[0-9a-f]{3,8}$/i;

/** Sets `--swatch` on an element when `color` is a hex colour (checked; never raw CSS). */
export function swatch(el, color) {
  if (color && HEX.test(color)) el.style.setProperty('--swatch', color);
  return el;
}

export function stageBadge(stage) {
  if (!stage) return h('span', { class: 'muted', text: '—' });
  return swatch(h('span', { class: ['stage-badge', `stage-status-${stage.status || 'active'}`] },
    h('span', { class: 'stage-dot', 'aria-hidden': 'true' }), h('span', { text: stage.name })), stage.color);
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const compactFormat = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

export function formatNumber(value, { compact = false } = {}) {
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value ?? '');
  return (compact && Math.abs(n) >= 10000 ? compactFormat : numberFormat).format(n);
}

/** A value as text, by its field's type. */
export function formatValue(field, value) {
  if (value === null || value === undefined || value === '') return '';
  switch (field?.type) {
    case 'number': return formatNumber(value);
    case 'date': {
      const date = new Date(`${value}T00:00:00Z`);
      return Number.isNaN(date.getTime()) ? String(value) : dateFormat.format(date);
    }
    case 'boolean': return value ? 'Yes' : 'No';
    case 'multi_select': return Array.isArray(value) ? value.join(', ') : String(value);
    default: return String(value);
  }
}

/** A value as a node: links for URLs and emails (their text as text), the rest as text. */
export function valueNode(field, value) {
  const text = formatValue(field, value);
  if (!text) return h('span', { class: 'muted', text: '—' });
  if (field?.type === 'url' && /^https?:\/\//i.test(String(value))) {
    return h('a', { href: String(value), target: '_blank', rel: 'noopener noreferrer', text });
  }
  if (field?.type === 'email') return h('a', { href: `mailto:${value}`, text });
  if (field?.type === 'multi_select' && Array.isArray(value)) {
    return h('span', { class: 'chip-list' }, value.map((item) => h('span', { class: 'chip chip-small', text: item })));
  }
  return h('span', { text });
}

/** The entity's page header, with its Board / Table / Settings tabs. */
export function entityHeader(entity, active, actions = []) {
  const slug = encodeURIComponent(entity.slug);
  const tab = (key, label, href) => h('a', {
    class: ['tab', active === key && 'tab-active'], href, 'aria-current': active === key ? 'page' : null, text: label,
  });
  return h('div', { class: 'crm-header' },
    h('nav', { class: 'crm-breadcrumb', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/pipelines', text: 'Pipelines' }), icon('chevronRight', 'icon icon-small'), h('span', { text: entity.name })),
    pageHeader({ title: entity.plural_name || entity.name, actions }),
    h('nav', { class: 'tabs', 'aria-label': `${entity.name} views` },
      tab('board', 'Board', `#/pipelines/${slug}/board`),
      tab('table', 'Table', `#/pipelines/${slug}/table`),
      tab('settings', 'Fields & pipelines', `#/pipelines/${slug}/settings`)));
}

/** The singular label of an entity ("Lead"), for buttons. */
export function singular(entity) {
  return entity.singular_name || entity.name.replace(/s$/, '');
}

/** The stages of all the entity's pipelines, by id. */
export function stagesById(entity) {
  const map = new Map();
  for (const pipeline of entity.pipelines || []) for (const stage of pipeline.stages || []) map.set(stage.id, { ...stage, pipeline });
  return map;
}

/** The fields worth showing on a card: the first three that have a value. */
export function keyValues(entity, entry, limit = 3) {
  const flat = entry.values_flat || {};
  return (entity.fields || []).filter((field) => flat[field.key] !== undefined && flat[field.key] !== null && flat[field.key] !== '').slice(0, limit)
    .map((field) => ({ field, value: flat[field.key] }));
}

/** "Lead Source" → "lead-source". */
export function slugify(text) {
  return String(text).normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
}
