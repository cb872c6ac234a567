// #/pipelines/{slug}/board[?pipeline=id]: the kanban board of one pipeline. A column per
// stage, its header with the count and the sum of the deal value (from the pipeline's
// stats); cards with the title, key values and the assignee. Dragging a card to another
// column moves it through the API at once, and puts it back with a message if the API
// refuses. Keyboard: Alt+← / Alt+→ on a focused card moves it one stage.

import { avatar, h, icon, replace } from '../dom.js';
import { navigate } from '../router.js';
import { emptyState, errorState, loadingState } from '../components/page.js';
import { toast } from '../components/toast.js';
import { crm, workspacePeople } from './pipelines-api.js';
import { openEntryForm } from './pipelines-entry.js';
import { entityHeader, formatNumber, formatValue, keyValues, singular, swatch } from './pipelines-common.js';
import { permit } from '../components/permit.js';

const PAGE = 30;
const DRAG_THRESHOLD = 6;

export function render({ entity, query }) {
  const pipelines = entity.pipelines || [];
  const slug = encodeURIComponent(entity.slug);
  if (!pipelines.length) {
    return h('div', { class: 'page page-crm' },
      entityHeader(entity, 'board'),
      emptyState({ title: 'No pipeline yet', text: 'Add a pipeline with its stages to see the board.', iconName: 'pipelines',
        action: h('a', { class: 'button button-primary', href: `#/pipelines/${slug}/settings`, text: 'Add a pipeline' }) }));
  }
  const pipeline = pipelines.find((p) => String(p.id) === query.get('pipeline')) || pipelines[0];
  const stages = pipeline.stages || [];
  const fieldByKey = new Map((entity.fields || []).map((f) => [f.key, f]));
  let people = { users: new Map(), teams: new Map() };
  let sumField = null;

  const picker = pipelines.length > 1
    ? h('select', { class: 'select-compact', 'aria-label': 'Pipeline', dataset: { action: 'pipeline' } },
      pipelines.map((p) => h('option', { value: String(p.id), text: p.name, selected: p.id === pipeline.id })))
    : null;
  picker?.addEventListener('change', () => navigate(`/pipelines/${slug}/board?pipeline=${picker.value}`));
  const newButton = h('button', { type: 'button', class: 'button button-primary', dataset: { action: 'new-entry' } },
    icon('plus'), h('span', { text: `New ${singular(entity).toLowerCase()}` }))
  const newControl = permit(newButton, 'POST /api/brands/{brand}/crm/entities/{entity}/entries', 'add entries');
  newButton.addEventListener('click', () => create(stages[0]?.id));

  const summary = h('p', { class: 'board-summary muted', 'aria-live': 'polite' });
  const live = h('p', { class: 'visually-hidden', 'aria-live': 'assertive' });
  const columns = new Map();
  const boardEl = h('div', { class: 'kanban', role: 'list', 'aria-label': `${pipeline.name} board` },
    stages.map((stage) => column(stage)));
  const root = h('div', { class: 'page page-crm page-crm-board' },
    entityHeader(entity, 'board', [picker, newControl].filter(Boolean)),
    h('div', { class: 'board-bar' }, h('h2', { class: 'board-title', text: pipeline.name }), summary),
    stages.length ? boardEl : emptyState({ title: 'This pipeline has no stages', iconName: 'pipelines',
      action: h('a', { class: 'button button-primary', href: `#/pipelines/${slug}/settings`, text: 'Add stages' }) }),
    live);

  // Columns -----------------------------------------------------------------------------

  function column(stage) {
    const count = h('span', { class: 'column-count', dataset: { role: 'count' }, text: '…' });
    const sum = h('span', { class: 'column-sum', dataset: { role: 'sum' } });
    const list = h('div', { class: 'column-cards', role: 'list', 'aria-label': stage.name });
    const more = h('button', { type: 'button', class: 'button button-ghost button-small column-more', hidden: true, text: 'Load more' });
    const add = h('button', { type: 'button', class: 'icon-button icon-button-small', 'aria-label': `Add to ${stage.name}` }, icon('plus'));
    add.addEventListener('click', () => create(stage.id));
    const el = swatch(h('section', { class: ['kanban-column', `stage-status-${stage.status}`], role: 'listitem', dataset: { stageId: stage.id, stage: stage.name } },
      h('header', { class: 'column-header' },
        h('div', { class: 'column-title-row' },
          h('h3', { class: 'column-title', text: stage.name }),
          stage.status !== 'active' ? h('span', { class: ['badge', stage.status === 'won' ? 'badge-success' : 'badge-neutral'], text: stage.status === 'won' ? 'Won' : 'Lost' }) : null,
          add),
        h('div', { class: 'column-meta' }, count, sum)),
      list, more), stage.color);
    const state = { stage, el, list, count, sum, more, loaded: 0, total: 0, totalSum: null };
    more.addEventListener('click', () => loadColumn(state, true));
    columns.set(stage.id, state);
    return el;
  }

  async function loadColumn(state, append = false) {
    state.more.disabled = true;
    try {
      const page = append ? Math.floor(state.loaded / PAGE) + 1 : 1;
      const result = await crm.entries(entity.id, { pipeline_id: pipeline.id, stage_id: state.stage.id, per_page: PAGE, page });
      if (!append) { state.list.replaceChildren(); state.loaded = 0; }
      for (const entry of result.data || []) state.list.append(cardFor(entry));
      state.loaded += (result.data || []).length;
      state.more.hidden = state.loaded >= result.total;
      empty(state);
    } catch (error) {
      if (!error.handled) replace(state.list, errorState(error, () => loadColumn(state)));
    } finally {
      state.more.disabled = false;
    }
  }

  function empty(state) {
    const none = !state.list.querySelector('.kanban-card');
    state.list.querySelector('.column-empty')?.remove();
    if (none) state.list.append(h('p', { class: 'column-empty', text: 'Drop here' }));
  }

  function paintHeader(state) {
    state.count.textContent = formatNumber(state.total);
    state.count.setAttribute('aria-label', `${state.total} ${state.total === 1 ? 'entry' : 'entries'}`);
    state.sum.textContent = sumField && state.totalSum !== null ? `${sumField.name}: ${formatNumber(state.totalSum, { compact: true })}` : '';
  }

  async function loadStats() {
    try {
      const stats = await crm.stats(pipeline.id);
      sumField = stats.sum_field ? fieldByKey.get(stats.sum_field.key) || stats.sum_field : null;
      for (const s of stats.stages || []) {
        const state = columns.get(s.id);
        if (!state) continue;
        state.total = s.count;
        state.totalSum = s.sum === null ? null : Number(s.sum);
        paintHeader(state);
      }
      const t = stats.totals || {};
      const parts = [`${formatNumber(t.count ?? 0)} ${t.count === 1 ? 'entry' : 'entries'}`, `${formatNumber(t.open ?? 0)} open`];
      if (sumField && t.open_sum !== null && t.open_sum !== undefined) parts.push(`${formatNumber(t.open_sum)} open ${sumField.name.toLowerCase()}`);
      if (stats.win_rate !== null && stats.win_rate !== undefined) parts.push(`win rate ${Math.round(stats.win_rate * 100)}%`);
      summary.textContent = parts.join(' · ');
    } catch (error) {
      if (!error.handled) summary.textContent = '';
    }
  }

  // Cards -------------------------------------------------------------------------------

  function cardFor(entry) {
    const user = people.users.get(entry.assigned_to_user_id);
    const team = people.teams.get(entry.assigned_to_team_id);
    const linked = (entry.customer_ids?.length || 0) + (entry.company_ids?.length || 0);
    const link = h('a', { class: 'kanban-card-title', href: `#/pipelines/${slug}/entries/${encodeURIComponent(entry.id)}`, text: entry.title, draggable: 'false' });
    const values = keyValues(entity, entry).map(({ field, value }) =>
      h('li', {}, h('span', { class: 'card-label', text: field.name }), h('span', { class: 'card-value', text: formatValue(field, value) })));
    const el = h('article', { class: 'kanban-card', role: 'listitem', tabindex: '0', dataset: { entryId: entry.id, title: entry.title },
      'aria-keyshortcuts': 'Alt+ArrowLeft Alt+ArrowRight', 'aria-label': `${entry.title}. Alt and the arrow keys move it between stages.` },
      link,
      values.length ? h('ul', { class: 'card-values' }, values) : null,
      user || team || linked ? h('div', { class: 'card-footer' },
        user ? h('span', { class: 'card-assignee', title: user.name }, avatar(user.name, 'small'), h('span', { text: user.name })) : null,
        team ? h('span', { class: 'badge badge-neutral', text: team.name }) : null,
        linked ? h('span', { class: 'card-people', title: 'Linked customers and companies', dataset: { linked: String(linked) } },
          icon('users', 'icon icon-small'), h('span', { text: String(linked) })) : null) : null);
    el.entry = entry;
    draggable(el);
    el.addEventListener('keydown', (event) => {
      if (!event.altKey || (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight')) return;
      event.preventDefault();
      const index = stages.findIndex((s) => s.id === el.entry.stage_id);
      const next = stages[index + (event.key === 'ArrowRight' ? 1 : -1)];
      if (next) move(el, columns.get(next.id), { focus: true });
    });
    return el;
  }

  /** Pointer dragging (mouse, pen, touch after a long press is not needed: the card scrolls). */
  function draggable(el) {
    let suppressClick = false;
    el.addEventListener('click', (event) => {
      if (suppressClick) { event.preventDefault(); event.stopPropagation(); suppressClick = false; }
    }, true);
    el.addEventListener('pointerdown', (down) => {
      if (down.button !== 0 || down.pointerType === 'touch' || down.target.closest('button, select, input')) return;
      const rect = el.getBoundingClientRect();
      const offset = { x: down.clientX - rect.left, y: down.clientY - rect.top };
      let ghost = null;
      let target = null;
      const onMove = (event) => {
        if (!ghost) {
          if (Math.hypot(event.clientX - down.clientX, event.clientY - down.clientY) < DRAG_THRESHOLD) return;
          ghost = el.cloneNode(true);
          ghost.classList.add('kanban-ghost');
          ghost.removeAttribute('tabindex');
          ghost.setAttribute('aria-hidden', 'true');
          ghost.style.width = `${rect.width}px`;
          document.body.append(ghost);
          el.classList.add('is-dragging');
          boardEl.classList.add('is-dragging');
        }
        event.preventDefault();
        ghost.style.transform = `translate(${event.clientX - offset.x}px, ${event.clientY - offset.y}px) rotate(2deg)`;
        const over = document.elementFromPoint(event.clientX, event.clientY)?.closest('.kanban-column');
        const state = over ? columns.get(Number(over.dataset.stageId)) : null;
        if (state !== target) {
          target?.el.classList.remove('is-target');
          target = state;
          target?.el.classList.add('is-target');
        }
        autoScroll(event.clientX);
      };
      const onUp = () => {
        document.removeEventListener('pointermove', onMove);
        document.removeEventListener('pointerup', onUp);
        document.removeEventListener('pointercancel', onCancel);
        if (!ghost) return;
        ghost.remove();
        el.classList.remove('is-dragging');
        boardEl.classList.remove('is-dragging');
        target?.el.classList.remove('is-target');
        suppressClick = true;
        setTimeout(() => { suppressClick = false; }, 0);
        if (target) move(el, target);
      };
      const onCancel = () => { target = null; onUp(); };
      document.addEventListener('pointermove', onMove);
      document.addEventListener('pointerup', onUp);
      document.addEventListener('pointercancel', onCancel);
    });
  }

  function autoScroll(x) {
    const box = boardEl.getBoundingClientRect();
    if (x < box.left + 40) boardEl.scrollLeft -= 16;
    else if (x > box.right - 40) boardEl.scrollLeft += 16;
  }

  /** The sum field's value of an entry, as a number (0 without one). */
  function weight(entry) {
    if (!sumField) return 0;
    const n = Number(entry.values_flat?.[sumField.key]);
    return Number.isFinite(n) ? n : 0;
  }

  /** Moves a card now, then asks the API; puts everything back if it refuses. */
  async function move(el, to, { focus = false } = {}) {
    const from = columns.get(el.entry.stage_id);
    if (!to || !from || to === from) return;
    const place = { parent: el.parentNode, next: el.nextSibling };
    const amount = weight(el.entry);
    to.list.prepend(el);
    el.classList.add('is-saving');
    from.total -= 1; to.total += 1;
    if (from.totalSum !== null) from.totalSum -= amount;
    if (to.totalSum !== null) to.totalSum += amount;
    paintHeader(from); paintHeader(to); empty(from); empty(to);
    if (focus) el.focus();
    try {
      const updated = await crm.moveEntry(el.entry.id, to.stage.id);
      el.entry = updated;
      live.textContent = `${updated.title} moved to ${to.stage.name}.`;
      toast(`${updated.title} moved to ${to.stage.name}.`);
      loadStats();
    } catch (error) {
      place.parent.insertBefore(el, place.next && place.next.parentNode === place.parent ? place.next : null);
      from.total += 1; to.total -= 1;
      if (from.totalSum !== null) from.totalSum += amount;
      if (to.totalSum !== null) to.totalSum -= amount;
      paintHeader(from); paintHeader(to); empty(from); empty(to);
      el.classList.add('is-refused');
      setTimeout(() => el.classList.remove('is-refused'), 1500);
      const detail = Object.values(error.errors || {}).flat()[0];
      const message = `${el.entry.title} stays in ${from.stage.name}: ${detail || error.message}`;
      live.textContent = message;
      if (!error.handled) toast(message, 'error');
      if (focus) el.focus();
    } finally {
      el.classList.remove('is-saving');
    }
  }

  async function create(stageId) {
    const entry = await openEntryForm({ entity, pipelineId: pipeline.id, stageId });
    if (!entry) return;
    if (entry.pipeline_id !== pipeline.id) {
      navigate(`/pipelines/${slug}/board?pipeline=${entry.pipeline_id}`);
      return;
    }
    const state = columns.get(entry.stage_id);
    if (state) {
      state.list.prepend(cardFor(entry));
      empty(state);
    }
    loadStats();
  }

  workspacePeople().then((found) => { people = found; }, () => {}).finally(() => {
    loadStats();
    for (const state of columns.values()) {
      state.list.append(loadingState('Loading…'));
      loadColumn(state);
    }
  });
  return root;
}
