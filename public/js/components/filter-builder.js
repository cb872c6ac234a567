// The visual filter builder of the segments filter language (Segments/SegmentFilter.swift):
// groups (all / any, optionally negated) hold conditions and groups; each condition's inputs
// follow its kind (ranges, days, lists, RFM segments, owners, the company's fields, properties,
// events, other segments).
// Used by the segment editor (#/segments/new) and the automation designer's condition node.

import { h, icon, replace } from '../dom.js';
import { RFM_SEGMENTS } from './format.js';
import { members } from './owners.js';

let stylesheetAdded = false;
function filterStyles() {
  if (stylesheetAdded) return;
  stylesheetAdded = true;
  document.head.append(h('link', { rel: 'stylesheet', href: '/css/filter-builder.css' }));
}

/** Every kind of condition: its label and the inputs it takes. */
export const FIELDS = [
  { type: 'rfm_score', label: 'RFM score', input: 'range', step: '1', placeholder: '3–15' },
  { type: 'rfm_segment', label: 'RFM segment', input: 'segments' },
  { type: 'clv_total', label: 'Total spent', input: 'range', step: '0.01' },
  { type: 'clv_predicted', label: 'Predicted CLV', input: 'range', step: '0.01' },
  { type: 'p_alive', label: 'Probability still active', input: 'range', step: '0.01', placeholder: '0–1' },
  { type: 'purchase_count', label: 'Number of purchases', input: 'range', step: '1' },
  { type: 'last_seen_within_days', label: 'Seen in the last … days', input: 'days' },
  { type: 'inactive_days_min', label: 'Inactive for at least … days', input: 'days' },
  { type: 'created_within_days', label: 'Became a customer in the last … days', input: 'days' },
  { type: 'country', label: 'Country', input: 'list', placeholder: 'HR, SI' },
  { type: 'city', label: 'City', input: 'list', placeholder: 'Zagreb, Split' },
  { type: 'email_domain', label: 'Email domain', input: 'list', placeholder: 'example.com' },
  { type: 'owner_id', label: 'Owner', input: 'owner' },
  { type: 'company.industry', label: 'Company industry', input: 'list', placeholder: 'Software, Retail' },
  { type: 'company.size', label: 'Company size', input: 'list', placeholder: '11-50, 51-200' },
  { type: 'company.country', label: 'Company country', input: 'list', placeholder: 'HR, DE' },
  { type: 'company.city', label: 'Company city', input: 'list', placeholder: 'Zagreb' },
  { type: 'company.domain', label: 'Company domain', input: 'list', placeholder: 'acme.com' },
  { type: 'property', label: 'Customer property', input: 'property' },
  { type: 'event', label: 'Did an event', input: 'event' },
  { type: 'in_segment', label: 'In another segment', input: 'segment' },
];
const FIELD = Object.fromEntries(FIELDS.map((f) => [f.type, f]));
const RANGE_TYPES = FIELDS.filter((f) => f.input === 'range').map((f) => f.type);

function newCondition(type = 'rfm_score') {
  return { kind: 'condition', type, v: {} };
}

function newGroup(mode = 'all') {
  return { kind: 'group', mode, negate: false, children: [] };
}

// Filters JSON → tree ------------------------------------------------------------------------

/** A stored filter document as the builder's tree (the root is always a group). */
export function parseFilters(json) {
  const node = parseNode(json || {});
  return node.kind === 'group' ? node : { ...newGroup(), children: [node] };
}

function parseNode(object) {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return newGroup();
  if ('property' in object) {
    const op = ['equals', 'not_equals', 'min', 'max', 'exists'].find((k) => k in object) || 'equals';
    return { kind: 'condition', type: 'property', v: { key: object.property, op, value: op === 'exists' ? String(object.exists) : valueText(object[op]) } };
  }
  if ('event' in object) {
    const props = Object.entries(object.properties || {});
    return { kind: 'condition', type: 'event', v: {
      name: object.event, within: object.within_days ?? '', countMin: object.count_min ?? '',
      propKey: props[0]?.[0] || '', propValue: props.length ? valueText(props[0][1]) : '',
    } };
  }
  const keys = Object.keys(object);
  if (keys.length === 1 && (keys[0] === 'all' || keys[0] === 'any')) {
    return { ...newGroup(keys[0]), children: (object[keys[0]] || []).map(parseNode) };
  }
  if (keys.length === 1 && keys[0] === 'not') {
    const inner = parseNode(object.not);
    if (inner.kind === 'group' && !inner.negate) return { ...inner, negate: true };
    return { ...newGroup(), negate: true, children: [inner] };
  }
  const group = newGroup();
  const ranges = {};
  for (const key of keys) {
    const value = object[key];
    const range = RANGE_TYPES.find((t) => key === `${t}_min` || key === `${t}_max`);
    if (range) {
      ranges[range] = ranges[range] || { kind: 'condition', type: range, v: {} };
      ranges[range].v[key.endsWith('_min') ? 'min' : 'max'] = String(value);
      if (!group.children.includes(ranges[range])) group.children.push(ranges[range]);
    } else if (key === 'all' || key === 'any' || key === 'not') {
      group.children.push(parseNode({ [key]: value }));
    } else if (key === 'rfm_segment') {
      group.children.push({ kind: 'condition', type: key, v: { names: [].concat(value) } });
    } else if (['last_seen_within_days', 'inactive_days_min', 'created_within_days'].includes(key)) {
      group.children.push({ kind: 'condition', type: key, v: { days: String(value) } });
    } else if (FIELD[key]?.input === 'list') {
      group.children.push({ kind: 'condition', type: key, v: { list: [].concat(value).join(', ') } });
    } else if (key === 'in_segment') {
      group.children.push({ kind: 'condition', type: key, v: { segment: String(value) } });
    } else if (key === 'owner_id') {
      group.children.push({ kind: 'condition', type: key, v: { owner: String([].concat(value)[0]) } });
    }
  }
  return group.children.length === 1 && group.children[0].kind === 'group' ? group.children[0] : group;
}

function valueText(value) {
  return value === undefined || value === null ? '' : String(value);
}

// Tree → filters JSON ------------------------------------------------------------------------

/** A typed value from a text box: true/false, a number, or the text. */
function typed(text) {
  const t = String(text).trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (t !== '' && /^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t;
}

function filled(value) {
  return value !== undefined && value !== null && String(value).trim() !== '';
}

/** The JSON of a condition, or null while it is incomplete. */
export function conditionJSON(c) {
  const v = c.v;
  const field = FIELD[c.type];
  switch (field.input) {
    case 'range': {
      const out = {};
      if (filled(v.min)) out[`${c.type}_min`] = Number(v.min);
      if (filled(v.max)) out[`${c.type}_max`] = Number(v.max);
      return Object.keys(out).length ? out : null;
    }
    case 'segments':
      return v.names && v.names.length ? { rfm_segment: v.names.length === 1 ? v.names[0] : v.names } : null;
    case 'days':
      return filled(v.days) ? { [c.type]: Number(v.days) } : null;
    case 'list': {
      const items = String(v.list || '').split(',').map((s) => s.trim()).filter(Boolean);
      return items.length ? { [c.type]: items.length === 1 ? items[0] : items } : null;
    }
    case 'property': {
      if (!filled(v.key)) return null;
      const op = v.op || 'equals';
      if (op === 'exists') return { property: v.key.trim(), exists: v.value !== 'false' };
      if (!filled(v.value)) return null;
      return { property: v.key.trim(), [op]: op === 'min' || op === 'max' ? Number(v.value) : typed(v.value) };
    }
    case 'event': {
      if (!filled(v.name)) return null;
      const out = { event: v.name.trim() };
      if (filled(v.within)) out.within_days = Number(v.within);
      if (filled(v.countMin)) out.count_min = Number(v.countMin);
      if (filled(v.propKey) && filled(v.propValue)) out.properties = { [v.propKey.trim()]: typed(v.propValue) };
      return out;
    }
    case 'segment':
      return filled(v.segment) ? { in_segment: Number(v.segment) } : null;
    case 'owner':
      return filled(v.owner) ? { owner_id: Number(v.owner) } : null;
    default:
      return null;
  }
}

/** The filter document of a group (conditions that are not complete yet are left out). */
export function groupJSON(group) {
  const parts = group.children.map((child) => (child.kind === 'group' ? groupJSON(child) : conditionJSON(child))).filter(Boolean);
  const inner = { [group.mode]: parts };
  return group.negate ? { not: inner } : inner;
}

/** The number of complete conditions in a filter document (for summaries). */
export function conditionCount(json) {
  const count = (group) => group.children.reduce((n, child) => n + (child.kind === 'group' ? count(child) : (conditionJSON(child) ? 1 : 0)), 0);
  return json && typeof json === 'object' && Object.keys(json).length ? count(parseFilters(json)) : 0;
}

/**
 * A builder for `filters` (a filter document, or null for one empty condition of `first`).
 * `segments` are the segments `in_segment` may name ({id, name}); `onChange(json)` is called
 * after every edit. Returns `{ element, json() }`.
 */
export function filterBuilder({ filters = null, segments = [], onChange = () => {}, first = 'rfm_score' } = {}) {
  filterStyles();
  const tree = filters && Object.keys(filters).length ? parseFilters(filters) : { ...newGroup(), children: [newCondition(first)] };
  const others = segments;
  const treeBody = h('div', { class: 'builder-tree' });
  const changed = () => onChange(groupJSON(tree));

  function redraw() {
    replace(treeBody, groupView(tree, null));
    changed();
  }

  function groupView(group, parent) {
    const mode = h('select', { class: 'select-compact group-mode', 'aria-label': 'Match' },
      h('option', { value: 'all', text: 'all of', selected: group.mode === 'all' }),
      h('option', { value: 'any', text: 'any of', selected: group.mode === 'any' }));
    mode.addEventListener('change', () => { group.mode = mode.value; changed(); });
    const negate = h('input', { type: 'checkbox', class: 'group-negate', checked: group.negate });
    negate.addEventListener('change', () => { group.negate = negate.checked; changed(); });
    const children = h('ul', { class: 'group-children' }, group.children.map((child) => h('li', {},
      child.kind === 'group' ? groupView(child, group) : conditionView(child, group))));
    return h('div', { class: ['builder-group', parent ? 'is-nested' : 'is-root'], dataset: { mode: group.mode } },
      h('div', { class: 'group-header' },
        h('span', { class: 'group-label', text: parent ? 'Group: match' : 'Customers who match' }),
        mode,
        h('label', { class: 'group-not' }, negate, h('span', { text: 'none of these (NOT)' })),
        parent ? h('button', { type: 'button', class: 'button button-ghost button-small', 'aria-label': 'Remove group',
          onClick: () => { parent.children.splice(parent.children.indexOf(group), 1); redraw(); } }, icon('trash')) : null),
      children,
      h('div', { class: 'group-actions' },
        h('button', { type: 'button', class: 'button button-secondary button-small', dataset: { action: 'add-condition' },
          onClick: () => { group.children.push(newCondition('country')); redraw(); } }, icon('plus'), h('span', { text: 'Add condition' })),
        h('button', { type: 'button', class: 'button button-ghost button-small', dataset: { action: 'add-group' },
          onClick: () => { group.children.push({ ...newGroup('any'), children: [newCondition('country')] }); redraw(); } },
        icon('plus'), h('span', { text: 'Add group' }))));
  }

  function conditionView(c, group) {
    const fieldSelect = h('select', { class: 'select-compact condition-field', 'aria-label': 'Condition' },
      FIELDS.map((f) => h('option', { value: f.type, text: f.label, selected: f.type === c.type })));
    fieldSelect.addEventListener('change', () => { c.type = fieldSelect.value; c.v = {}; redraw(); });
    return h('div', { class: 'builder-condition', dataset: { type: c.type } },
      fieldSelect,
      h('div', { class: 'condition-inputs' }, inputsFor(c)),
      h('button', { type: 'button', class: 'button button-ghost button-small', 'aria-label': 'Remove condition',
        onClick: () => { group.children.splice(group.children.indexOf(c), 1); redraw(); } }, icon('trash')));
  }

  /** A small input bound to c.v[key]. */
  function input(c, key, attrs) {
    const el = h('input', { class: 'input-compact', value: c.v[key] ?? '', dataset: { key }, ...attrs });
    el.addEventListener('input', () => { c.v[key] = el.value; changed(); });
    return el;
  }

  function inputsFor(c) {
    const field = FIELD[c.type];
    switch (field.input) {
      case 'range':
        return [h('span', { class: 'muted', text: 'from' }),
          input(c, 'min', { type: 'number', step: field.step, 'aria-label': `${field.label} at least`, placeholder: 'min' }),
          h('span', { class: 'muted', text: 'to' }),
          input(c, 'max', { type: 'number', step: field.step, 'aria-label': `${field.label} at most`, placeholder: 'max' })];
      case 'days':
        return [input(c, 'days', { type: 'number', min: '0', step: '1', 'aria-label': 'Days', placeholder: 'days' }), h('span', { class: 'muted', text: 'days' })];
      case 'list':
        return [h('span', { class: 'muted', text: 'is' }), input(c, 'list', { type: 'text', 'aria-label': `${field.label} (one or more, comma-separated)`, placeholder: field.placeholder })];
      case 'segments': {
        const select = h('select', { multiple: true, class: 'select-multiple', 'aria-label': 'RFM segments', size: '4' },
          RFM_SEGMENTS.map((name) => h('option', { value: name, text: name, selected: (c.v.names || []).includes(name) })));
        select.addEventListener('change', () => { c.v.names = [...select.selectedOptions].map((o) => o.value); changed(); });
        return [h('span', { class: 'muted', text: 'is one of' }), select];
      }
      case 'property': {
        const op = h('select', { class: 'select-compact', 'aria-label': 'Comparison' },
          [['equals', 'equals'], ['not_equals', 'does not equal'], ['min', 'is at least'], ['max', 'is at most'], ['exists', 'exists']]
            .map(([value, text]) => h('option', { value, text, selected: (c.v.op || 'equals') === value })));
        op.addEventListener('change', () => { c.v.op = op.value; if (op.value === 'exists') c.v.value = 'true'; redraw(); });
        const valueInput = (c.v.op || 'equals') === 'exists'
          ? null
          : input(c, 'value', { type: c.v.op === 'min' || c.v.op === 'max' ? 'number' : 'text', 'aria-label': 'Property value', placeholder: 'value' });
        return [input(c, 'key', { type: 'text', 'aria-label': 'Property name', placeholder: 'plan' }), op, valueInput];
      }
      case 'event':
        return [input(c, 'name', { type: 'text', 'aria-label': 'Event name', placeholder: 'purchase' }),
          h('span', { class: 'muted', text: 'at least' }),
          input(c, 'countMin', { type: 'number', min: '0', step: '1', 'aria-label': 'Times at least', placeholder: '1' }),
          h('span', { class: 'muted', text: 'times in the last' }),
          input(c, 'within', { type: 'number', min: '0', step: '1', 'aria-label': 'Within days', placeholder: 'any' }),
          h('span', { class: 'muted', text: 'days, where' }),
          input(c, 'propKey', { type: 'text', 'aria-label': 'Event property', placeholder: 'property' }),
          h('span', { class: 'muted', text: '=' }),
          input(c, 'propValue', { type: 'text', 'aria-label': 'Event property value', placeholder: 'value' })];
      case 'segment': {
        const select = h('select', { class: 'select-compact', 'aria-label': 'Segment' },
          h('option', { value: '', text: 'Choose a segment' }),
          others.map((s) => h('option', { value: String(s.id), text: s.name, selected: String(s.id) === String(c.v.segment) })));
        select.addEventListener('change', () => { c.v.segment = select.value; changed(); });
        return [select];
      }
      case 'owner': {
        const select = h('select', { class: 'select-compact', 'aria-label': 'Owner' }, h('option', { value: '', text: 'Choose a member' }));
        if (filled(c.v.owner)) select.append(h('option', { value: c.v.owner, text: `Member #${c.v.owner}`, selected: true }));
        members().then((list) => {
          const current = c.v.owner || '';
          select.replaceChildren(h('option', { value: '', text: 'Choose a member' }),
            ...list.map((m) => h('option', { value: String(m.id), text: m.name || m.email, selected: String(m.id) === current })));
          if (current && !list.some((m) => String(m.id) === current)) select.append(h('option', { value: current, text: `Former member #${current}`, selected: true }));
        }).catch(() => {});
        select.addEventListener('change', () => { c.v.owner = select.value; changed(); });
        return [h('span', { class: 'muted', text: 'is' }), select];
      }
      default:
        return [];
    }
  }

  replace(treeBody, groupView(tree, null));
  return { element: treeBody, json: () => groupJSON(tree) };
}
