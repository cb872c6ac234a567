// A record's timeline (GET …/timeline): everything that happened to it, newest first, in
// days, with filters by kind and older items on demand (by cursor). One component for every
// record that has a timeline; each item type is drawn by `typeOf` and `itemName`.

import { api } from '../api.js';
import { h, icon, replace, time } from '../dom.js';
import { count, dayKey, dayLabel, eventSummary, money, timeOfDay, urlLink } from './format.js';
import { card, emptyState, errorState, loadingState } from './page.js';
import { toast } from './toast.js';

const PER_PAGE = 25;
const CHANGED = 'entercrm:activity-changed';

/** Says that something on the record changed (a note, a task), so that its timeline reloads. */
export function activityChanged() {
  document.dispatchEvent(new Event(CHANGED));
}

/** The filters: a label and the item types it keeps (null: all). */
export const TIMELINE_FILTERS = [
  { key: 'all', label: 'All', types: null },
  { key: 'events', label: 'Events', types: ['event', 'identify'] },
  { key: 'pageviews', label: 'Page views', types: ['pageview'] },
  { key: 'email', label: 'Messages', types: ['message_sent', 'message_opened', 'message_clicked', 'message_bounced', 'message_unsubscribed'] },
  { key: 'segments', label: 'Segments', types: ['segment_entered', 'segment_exited'] },
  { key: 'automations', label: 'Automations', types: ['automation_step'] },
  { key: 'notes', label: 'Notes & tasks', types: ['note', 'task_created', 'task_completed'] },
  { key: 'changes', label: 'Profile changes', types: ['profile_changed'] },
  { key: 'stages', label: 'Stage moves', types: ['stage_moved'] },
];

const MESSAGE_LABELS = {
  message_sent: 'Sent', message_opened: 'Opened', message_clicked: 'Clicked', message_bounced: 'Bounced',
  message_unsubscribed: 'Unsubscribed',
};

function typeOf(item) {
  const data = item.data || {};
  switch (item.type) {
    case 'segment_entered': return { label: 'Entered segment', tone: 'segment', iconName: 'segments' };
    case 'segment_exited': return { label: 'Left segment', tone: 'segment', iconName: 'segments' };
    case 'pageview': return { label: 'Page view', tone: 'pageview', iconName: 'eye' };
    case 'identify': return { label: 'Identify', tone: 'identify', iconName: 'customers' };
    case 'stage_moved': return { label: 'Stage', tone: 'segment', iconName: 'pipelines' };
    case 'profile_changed': return { label: 'Changed', tone: 'identify', iconName: 'edit' };
    case 'note': return { label: 'Note', tone: 'note', iconName: 'edit' };
    case 'task_created': return { label: 'Task', tone: 'note', iconName: 'check' };
    case 'task_completed': return { label: 'Task done', tone: 'purchase', iconName: 'check' };
    case 'automation_step': return { label: `Automation · ${String(data.outcome || '')}`, tone: 'automation', iconName: 'automations' };
    default:
      if (MESSAGE_LABELS[item.type]) {
        const tone = item.type === 'message_bounced' || item.type === 'message_unsubscribed' ? 'warning' : 'message';
        return { label: `${data.channel === 'sms' ? 'SMS' : 'Email'} · ${MESSAGE_LABELS[item.type]}`, tone, iconName: 'mail' };
      }
      if (data.name === 'purchase') return { label: 'Purchase', tone: 'purchase', iconName: 'cart' };
      return { label: 'Event', tone: 'event', iconName: 'activity' };
  }
}

/** "https://shop.example/pricing?x=1" → "/pricing?x=1". */
function pagePath(url) {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}` || '/';
  } catch {
    return String(url);
  }
}

/** What the item is about, as its title: the page, the event's name, or the linked record. */
function itemName(item) {
  const data = item.data || {};
  if (item.type === 'segment_entered' || item.type === 'segment_exited') {
    return h('a', { class: 'timeline-name timeline-segment', href: `#/segments/${data.segment_id}`, text: String(data.segment_name || `Segment ${data.segment_id}`) });
  }
  if (MESSAGE_LABELS[item.type]) {
    return h('a', { class: 'timeline-name', href: `#/campaigns/${data.campaign_id}`, text: String(data.campaign_name || `Campaign ${data.campaign_id}`) });
  }
  if (item.type === 'note') return h('span', { class: 'timeline-name', text: data.pinned ? 'Pinned note' : 'Note' });
  if (item.type === 'profile_changed') return h('span', { class: 'timeline-name', text: fieldLabel(data.field) });
  if (item.type === 'stage_moved') {
    return h('span', { class: 'timeline-name timeline-name-wrap', text: data.from_stage_name ? `Moved from ${data.from_stage_name} to ${data.to_stage_name}` : `Created in ${data.to_stage_name}` });
  }
  if (item.type === 'task_created' || item.type === 'task_completed') return h('span', { class: 'timeline-name', text: String(data.title || 'Task') });
  if (item.type === 'automation_step') {
    return h('a', { class: 'timeline-name', href: `#/automations/${data.automation_id}`, text: String(data.automation_name || `Automation ${data.automation_id}`) });
  }
  if (item.type === 'pageview') {
    const link = data.url ? urlLink(data.url, 'timeline-name timeline-page') : null;
    if (!link) return h('span', { class: 'timeline-name', text: 'Page view' });
    if (link.tagName === 'A') link.textContent = pagePath(data.url);
    return link;
  }
  return h('span', { class: 'timeline-name mono', text: String(data.name || item.type) });
}

/** The line under the title: the event's properties, the step's detail, a bounce's reason. */
function itemSummary(item) {
  const data = item.data || {};
  if (item.type === 'automation_step') return [data.node_type, data.detail].filter(Boolean).join(' · ');
  if (item.type === 'profile_changed') return `${valueText(data.old)} → ${valueText(data.new)}`;
  if (item.type === 'note') return `${String(data.body || '').replace(/\s+/g, ' ').slice(0, 200)}${data.truncated ? '…' : ''}`;
  if (item.type === 'task_created') return data.due_at ? `Due ${new Date(data.due_at).toLocaleDateString()}` : '';
  if (item.type === 'task_completed') return '';
  if (item.type === 'message_bounced') return data.error || '';
  if (item.type === 'message_opened') return data.human ? 'Opened by a person' : 'Opened (mail privacy proxy or scanner)';
  if (MESSAGE_LABELS[item.type]) return data.address || '';
  if (item.type === 'segment_entered' || item.type === 'segment_exited') return '';
  const summary = eventSummary({ type: item.type, properties: data.properties || {} });
  const amount = data.amount != null && !(data.properties && 'amount' in data.properties) ? money(data.amount, { currency: data.currency || undefined }) : '';
  return [amount, summary].filter(Boolean).join(' · ');
}

/** "properties.plan" → "Property plan"; "name" → "Name". */
function fieldLabel(field) {
  const text = String(field || '');
  if (text.startsWith('properties.')) return `Property ${text.slice('properties.'.length)}`;
  return text.charAt(0).toUpperCase() + text.slice(1).replace(/_/g, ' ');
}

/** A changed value, short: empty, text, or JSON. */
function valueText(value) {
  if (value === null || value === undefined || value === '') return '(empty)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function actorText(actor) {
  if (actor?.type === 'api_key') return '';
  if (!actor || actor.type !== 'member') return '';
  return actor.name ? `by ${actor.name}` : 'by a member';
}

/** One item of a timeline. */
export function timelineItem(item, { showDate = false } = {}) {
  const kind = typeOf(item);
  const data = item.data || {};
  const summary = itemSummary(item);
  const by = actorText(item.actor);
  const event = item.type === 'event' ? String(data.name || '') : item.type;
  return h('li', { class: 'timeline-event', dataset: { eventId: data.id || '', event, type: item.type } },
    h('span', { class: ['timeline-icon', `tone-${kind.tone}`] }, icon(kind.iconName, 'icon icon-small')),
    h('div', { class: 'timeline-content' },
      h('div', { class: 'timeline-title' },
        itemName(item),
        h('span', { class: ['badge', 'badge-event', `badge-event-${kind.tone}`], text: kind.label })),
      summary ? h('p', { class: 'timeline-props', text: summary, title: summary }) : null,
      item.type !== 'pageview' && data.url ? h('p', { class: 'timeline-url' }, urlLink(data.url)) : null,
      by ? h('p', { class: 'timeline-actor muted small', text: by }) : null),
    h('span', { class: 'timeline-time' }, showDate ? time(item.occurred_at) : timeOfDay(item.occurred_at)));
}

/**
 * The timeline card of the record at `path` (e.g. "/v1/customers/12"): filters, items in
 * days, "Show older" by cursor. `filters` are the keys of TIMELINE_FILTERS this record has.
 */
export function timelineCard({ path, title = 'Activity', description, filters = TIMELINE_FILTERS.map((f) => f.key), emptyText, className = '' }) {
  const list = h('ol', { class: 'timeline', 'aria-label': 'Activity, newest first' });
  const status = h('p', { class: 'muted small timeline-status', role: 'status' });
  const more = h('button', { type: 'button', class: 'button button-secondary', hidden: true, dataset: { action: 'more-events' } },
    h('span', { text: 'Show older' }));
  const content = h('div', { class: 'timeline-body' }, loadingState('Loading activity…'));
  const chosen = TIMELINE_FILTERS.filter((f) => filters.includes(f.key));
  let filter = chosen[0];
  let cursor = null;
  let shown = 0;
  let lastDay = null;
  let dayList = null;
  let generation = 0;

  const chips = h('div', { class: 'timeline-filters', role: 'group', 'aria-label': 'Show' },
    chosen.map((f) => {
      const chip = h('button', { type: 'button', class: 'chip chip-toggle', dataset: { filter: f.key }, 'aria-pressed': String(f === filter), text: f.label });
      chip.addEventListener('click', () => {
        if (f === filter) return;
        filter = f;
        for (const other of chips.querySelectorAll('button')) other.setAttribute('aria-pressed', String(other === chip));
        restart();
      });
      return chip;
    }));

  function restart() {
    generation += 1;
    cursor = null;
    shown = 0;
    lastDay = null;
    dayList = null;
    list.replaceChildren();
    replace(content, loadingState('Loading activity…'));
    loadPage(true);
  }

  async function loadPage(first = false) {
    const mine = generation;
    more.disabled = true;
    more.setAttribute('aria-busy', 'true');
    try {
      const query = { limit: PER_PAGE };
      if (filter.types) query.type = filter.types.join(',');
      if (cursor) query.cursor = cursor;
      const result = await api.get(`${path}/timeline`, { query });
      if (mine !== generation) return;
      const items = result?.data || [];
      cursor = result?.meta?.next_cursor || null;
      if (first) {
        if (!items.length) {
          const what = filter.types ? `No ${filter.label.toLowerCase()} yet` : 'No activity yet';
          replace(content, emptyState({ title: what, text: emptyText || 'What happens to this record appears here.', iconName: 'activity' }));
          return;
        }
        replace(content, list, h('div', { class: 'timeline-footer' }, status, more));
      }
      const firstNew = list.querySelectorAll('.timeline-event').length;
      for (const item of items) {
        const key = dayKey(item.occurred_at);
        if (key !== lastDay || !dayList) {
          lastDay = key;
          dayList = h('ol', { class: 'timeline-events' });
          list.append(h('li', { class: 'timeline-day' }, h('h3', { class: 'timeline-day-label', text: dayLabel(item.occurred_at) }), dayList));
        }
        dayList.append(timelineItem(item));
      }
      shown += items.length;
      status.textContent = cursor ? `Showing the latest ${count(shown)}` : `Showing all ${count(shown)}`;
      more.hidden = !cursor;
      if (!first) {
        // Keyboard users continue from the first item that arrived.
        const next = list.querySelectorAll('.timeline-event')[firstNew];
        if (next) {
          next.setAttribute('tabindex', '-1');
          next.focus();
        }
      }
    } catch (error) {
      if (error.handled || mine !== generation) return;
      if (first) replace(content, errorState(error, () => restart()));
      else toast(error.message, 'error');
    } finally {
      more.disabled = false;
      more.removeAttribute('aria-busy');
    }
  }

  more.addEventListener('click', () => loadPage());
  loadPage(true);
  let pending = null;
  function onChanged() {
    if (!list.isConnected && !content.isConnected) {
      document.removeEventListener(CHANGED, onChanged);
      return;
    }
    clearTimeout(pending);
    pending = setTimeout(restart, 100);
  }
  document.addEventListener(CHANGED, onChanged);
  return card({
    title,
    description: description || 'Everything that happened, newest first.',
    body: [chips, content],
    className: ['card-timeline', className].filter(Boolean).join(' '),
  });
}
