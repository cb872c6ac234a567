// The trigger node's settings in the automation designer: what starts the flow, with the
// trigger's own settings (the segment by name, the event, the days…), saved on the
// automation (`PUT /v1/automations/{id}`: trigger_type and trigger_config).

import { request } from '../api.js';
import { h } from '../dom.js';
import { count } from '../components/format.js';
import { toast } from '../components/toast.js';

export const TRIGGERS = [
  ['customer_created', 'Customer created'], ['customer_inactive', 'Customer inactive'], ['event_performed', 'Event performed'],
  ['segment_entered', 'Segment entered'], ['segment_exited', 'Segment exited'], ['crm_entry_created', 'CRM entry created'],
  ['crm_entry_stage_changed', 'CRM entry stage changed'], ['date_property', 'Date property'],
];
export const TRIGGER_LABEL = Object.fromEntries(TRIGGERS);

/** Each trigger's settings: [config key, label, input type] ('segment': the segment list). */
const SETTINGS = {
  customer_inactive: [['inactive_days', 'Inactive for (days)', 'number']],
  event_performed: [['event', 'Event name', 'text']],
  segment_entered: [['segment_id', 'Segment', 'segment']],
  segment_exited: [['segment_id', 'Segment', 'segment']],
  crm_entry_created: [['entity', 'CRM entity (id or slug)', 'text']],
  crm_entry_stage_changed: [['entity', 'CRM entity (id or slug)', 'text']],
  date_property: [['property', 'Date property', 'text'], ['days', 'Days from the date (negative: before)', 'number']],
};

/** Fills a select with the workspace's segments by name (`GET /v1/segments`), each with its
 *  size; the value sent is the segment's id. */
export async function segmentOptions(select, value) {
  try {
    const list = await request('GET', '/v1/segments', { query: { per_page: 100, sort: 'name', order: 'asc' } });
    const segments = list.data || [];
    select.replaceChildren(h('option', { value: '', text: segments.length ? 'Choose a segment…' : 'No segments yet: create one first' }),
      ...segments.map((x) => h('option', { value: String(x.id), text: `${x.name} (${count(x.customers_count ?? 0)})`, selected: x.id === value })));
  } catch (error) {
    select.replaceChildren(h('option', { value: '', text: 'The segments could not be loaded' }));
    if (!error.handled && error?.name !== 'ApiError') throw error;
  }
}

/** The settings fields of a trigger type (`config`: their values), in `holder`. */
export function fillSettings(holder, type, config = {}) {
  const uid = Math.random().toString(36).slice(2);
  holder.replaceChildren(...(SETTINGS[type] || []).map(([key, label, kind]) => {
    const id = `trigger-${key}-${uid}`;
    let control;
    if (kind === 'segment') {
      control = h('select', { id, name: key }, h('option', { value: '', text: 'Loading segments…' }));
      segmentOptions(control, config[key]);
    } else {
      control = h('input', { id, name: key, type: kind });
      control.value = config[key] ?? '';
    }
    return h('div', { class: 'field', dataset: { field: key } }, h('label', { for: id, text: label }), control,
      h('p', { class: 'field-error', hidden: true }));
  }));
}

/** The trigger_config the fields in `holder` say (empty ones left out). */
export function readSettings(holder) {
  const config = {};
  for (const el of holder.querySelectorAll('input, select')) {
    if (el.value === '') continue;
    config[el.name] = el.type === 'number' || el.name === 'segment_id' ? Number(el.value) : el.value;
  }
  return config;
}

/** The trigger's settings as a small form; `onSaved(automation)` after a save. */
export function triggerSettings(automation, onSaved) {
  const typeSelect = h('select', { id: `trigger-type-${Math.random().toString(36).slice(2)}`, name: 'trigger_type' },
    TRIGGERS.map(([v, l]) => h('option', { value: v, text: l, selected: v === automation.trigger_type })));
  const holder = h('div', { class: 'flow-trigger-settings' });
  const error = h('p', { class: 'field-error', hidden: true, role: 'alert' });
  const saveButton = h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Save trigger', dataset: { action: 'save-trigger' } });
  typeSelect.addEventListener('change', () => fillSettings(holder, typeSelect.value, automation.trigger_config || {}));
  fillSettings(holder, typeSelect.value, automation.trigger_config || {});
  saveButton.addEventListener('click', async () => {
    error.hidden = true;
    try {
      const saved = await request('PUT', `/v1/automations/${automation.id}`, { body: { trigger_type: typeSelect.value, trigger_config: readSettings(holder) } });
      toast('Trigger saved.');
      onSaved(saved);
    } catch (e) {
      if (e?.name !== 'ApiError') throw e;
      error.textContent = [e.message, ...Object.values(e.errors || {}).flat()].join(' ');
      error.hidden = false;
    }
  });
  return [h('div', { class: 'field' }, h('label', { for: typeSelect.id, text: 'Starts when' }), typeSelect), holder, error, saveButton];
}
