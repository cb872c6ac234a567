// #/automations/{id}: the visual flow designer. An SVG canvas (pan by dragging the
// background, zoom with the wheel or the buttons), a palette (drag a node type onto the
// canvas, or press it to add one), nodes moved by dragging, edges drawn from a node's
// output handle to another node, a side panel to configure the selected node (and to
// connect or delete it from the keyboard), validation errors shown on the nodes, live
// per-node counts and the enrolments with each customer's path.

import { request } from '../api.js';
import { h, replace } from '../dom.js';
import { conditionCount, filterBuilder } from '../components/filter-builder.js';
import { card, errorState, loadingState, pageHeader, tableWrap } from '../components/page.js';
import { toast } from '../components/toast.js';
import { permit } from '../components/permit.js';
import { confirmDialog } from '../components/dialog.js';
import { trackUnsaved } from '../components/unsaved.js';
import { TRIGGER_LABEL, triggerSettings } from './automations-trigger.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 200;
const H = 70;

export const PALETTE = [
  ['trigger', null, 'Trigger'], ['action', 'send_email', 'Send email'], ['action', 'send_sms', 'Send SMS'],
  ['action', 'webhook', 'Webhook'], ['action', 'update_customer', 'Update customer'], ['action', 'add_tag', 'Add tag'],
  ['action', 'remove_tag', 'Remove tag'], ['action', 'create_crm_entry', 'Create CRM entry'], ['action', 'move_crm_entry', 'Move CRM entry'],
  ['action', 'notify_user', 'Notify member'], ['delay', null, 'Delay'], ['condition', null, 'Condition'], ['split', null, 'A/B split'],
  ['exit', null, 'Exit'],
];

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** The handles a node type leads out of: one, two named branches, or none. */
function outputs(node) {
  if (node.type === 'condition') return ['yes', 'no'];
  if (node.type === 'split') return ['a', 'b'];
  if (node.type === 'exit') return [];
  return [null];
}

function kindOf(node) {
  return node.type === 'action' ? (node.data.action || 'send_email') : node.type;
}

function title(node) {
  if (node.data.label) return node.data.label;
  const entry = PALETTE.find(([type, action]) => type === node.type && (action === null || action === node.data.action));
  return entry ? entry[2] : node.type;
}

function subtitle(node) {
  const d = node.data;
  switch (kindOf(node)) {
    case 'send_email': return d.email_template || d.email_template_id ? `template ${d.email_template || d.email_template_id}` : (d.subject || 'no subject yet');
    case 'delay': return d.until_weekday ? `until day ${d.until_weekday} ${d.until_hour}:00` : `${d.amount || '?'} ${d.unit || 'days'}`;
    case 'condition': return `${conditionCount(d.filters)} condition(s)`;
    case 'split': return `A ${d.percent_a ?? 50}% · B ${100 - (d.percent_a ?? 50)}%`;
    case 'add_tag': case 'remove_tag': return d.tag || 'no tag yet';
    case 'webhook': return d.url || 'no url yet';
    default: return node.type;
  }
}

export function render({ id }) {
  const root = h('div', { class: 'page page-automation-designer' });
  replace(root, loadingState('Loading the automation…'));
  let automation = null;
  let nodes = [];
  let edges = [];
  let selected = null; // { kind: 'node' | 'edge', id }
  let errors = {};
  let counts = {};
  let view = { x: 40, y: 20, k: 1 };
  let poll = null;
  // The design as saved, against the design now: unsaved changes warn before leaving.
  const unsaved = trackUnsaved(root, { read: () => JSON.stringify([nodes, edges]) });

  const canvas = svg('svg', { class: 'flow-canvas', role: 'application', 'aria-label': 'Flow canvas', tabindex: '0' });
  const world = svg('g', { class: 'flow-world' });
  const edgeLayer = svg('g', { class: 'flow-edges' });
  const nodeLayer = svg('g', { class: 'flow-nodes' });
  const ghost = svg('path', { class: 'flow-edge flow-edge-ghost', d: '' });
  world.append(edgeLayer, nodeLayer, ghost);
  canvas.append(world);
  const panel = h('aside', { class: 'flow-panel', 'aria-label': 'Node settings' });
  const problems = h('div', { class: 'flow-problems', role: 'alert', hidden: true });
  const enrolmentsBody = h('div', {});
  const statusBadge = h('span', { class: 'badge' });
  const activeButton = h('button', { type: 'button', class: 'button button-secondary', dataset: { action: 'toggle-active' } });
  const saveButton = h('button', { type: 'button', class: 'button button-primary', text: 'Save', dataset: { action: 'save' } });
  const draftButton = h('button', { type: 'button', class: 'button button-secondary', text: 'Save draft', dataset: { action: 'save-draft' } });
  const draftNote = h('p', { class: 'flow-draft-note', hidden: true });

  function applyView() { world.setAttribute('transform', `translate(${view.x} ${view.y}) scale(${view.k})`); }

  function toWorld(clientX, clientY) {
    const r = canvas.getBoundingClientRect();
    return { x: (clientX - r.left - view.x) / view.k, y: (clientY - r.top - view.y) / view.k };
  }

  function nextID() {
    const n = nodes.map((x) => Number(x.id)).filter(Number.isFinite);
    return String((n.length ? Math.max(...n) : 0) + 1);
  }

  function addNode(type, action, label, position) {
    const data = { label };
    if (action) data.action = action;
    if (type === 'delay') Object.assign(data, { amount: 1, unit: 'days' });
    if (type === 'split') data.percent_a = 50;
    if (type === 'condition') data.filters = { purchase_count_min: 1 };
    const node = { id: nextID(), type, data, position: { x: Math.round(position.x), y: Math.round(position.y) } };
    nodes.push(node);
    select({ kind: 'node', id: node.id });
    return node;
  }

  function connect(source, target, handle) {
    if (source === target) return;
    const out = edges.filter((e) => e.source === source && (e.sourceHandle || null) === (handle || null));
    edges = edges.filter((e) => !out.includes(e));
    const edge = { id: `e${source}-${target}${handle ? `-${handle}` : ''}`, source, target };
    if (handle) edge.sourceHandle = handle;
    edges.push(edge);
    paint();
  }

  function removeSelected() {
    if (!selected) return;
    if (selected.kind === 'node') {
      nodes = nodes.filter((n) => n.id !== selected.id);
      edges = edges.filter((e) => e.source !== selected.id && e.target !== selected.id);
    } else {
      edges = edges.filter((e) => e.id !== selected.id);
    }
    selected = null;
    paint();
  }

  function select(what) {
    selected = what;
    paint();
  }

  function handlePoint(node, handle) {
    const outs = outputs(node);
    const i = outs.indexOf(handle);
    const x = node.position.x + (outs.length === 2 ? (i === 0 ? W * 0.25 : W * 0.75) : W / 2);
    return { x, y: node.position.y + H };
  }

  function edgePath(a, b) {
    const dy = Math.max(40, Math.abs(b.y - a.y) / 2);
    return `M${a.x} ${a.y} C${a.x} ${a.y + dy} ${b.x} ${b.y - dy} ${b.x} ${b.y}`;
  }

  function paintCanvas() {
    edgeLayer.replaceChildren();
    nodeLayer.replaceChildren();
    const byID = Object.fromEntries(nodes.map((n) => [n.id, n]));
    for (const e of edges) {
      const s = byID[e.source];
      const t = byID[e.target];
      if (!s || !t) continue;
      const a = handlePoint(s, e.sourceHandle || outputs(s)[0] || null);
      const b = { x: t.position.x + W / 2, y: t.position.y };
      const path = svg('path', { class: ['flow-edge', selected?.kind === 'edge' && selected.id === e.id ? 'selected' : '', errors[`edges.${e.id}`] ? 'invalid' : ''].join(' '), d: edgePath(a, b), 'data-edge': e.id });
      const hit = svg('path', { class: 'flow-edge-hit', d: edgePath(a, b), 'data-edge': e.id });
      hit.addEventListener('pointerdown', (ev) => { ev.stopPropagation(); select({ kind: 'edge', id: e.id }); });
      edgeLayer.append(path, hit);
    }
    for (const n of nodes) {
      const invalid = errors[`nodes.${n.id}`];
      const g = svg('g', {
        class: ['flow-node', `flow-node-${n.type}`, selected?.kind === 'node' && selected.id === n.id ? 'selected' : '', invalid ? 'invalid' : ''].join(' '),
        transform: `translate(${n.position.x} ${n.position.y})`, 'data-node': n.id, 'data-type': kindOf(n),
      });
      g.append(svg('rect', { class: 'flow-node-box', width: W, height: H, rx: 10 }));
      // The label and its subtitle wrap inside the box (HTML in the SVG), two lines at most.
      const text = svg('foreignObject', { class: 'flow-node-text', x: 0, y: 0, width: W, height: counts[n.id] ? 46 : H });
      text.append(h('div', { class: 'flow-node-label' },
        h('div', { class: 'flow-node-title', text: title(n) }), h('div', { class: 'flow-node-sub', text: String(subtitle(n)) })));
      g.append(text, svg('title', {}, invalid ? invalid.join(' ') : `${title(n)}: ${subtitle(n)}`));
      const c = counts[n.id];
      if (c) g.append(svg('text', { class: 'flow-node-counts', x: 12, y: 56, 'data-counts': n.id }, `in ${c.entered} · wait ${c.waiting} · done ${c.completed} · fail ${c.failed}`));
      if (n.type !== 'trigger') g.append(svg('circle', { class: 'flow-handle flow-handle-in', cx: W / 2, cy: 0, r: 6 }));
      for (const handle of outputs(n)) {
        const p = handlePoint(n, handle);
        const dot = svg('circle', { class: 'flow-handle flow-handle-out', cx: p.x - n.position.x, cy: H, r: 7, 'data-handle': handle || 'out' });
        dot.addEventListener('pointerdown', (ev) => startConnect(ev, n, handle));
        g.append(dot);
        if (handle) g.append(svg('text', { class: 'flow-handle-label', x: p.x - n.position.x + 10, y: H + 16 }, handle));
      }
      g.addEventListener('pointerdown', (ev) => startMove(ev, n));
      nodeLayer.append(g);
    }
    applyView();
  }

  // Pointer interactions -----------------------------------------------------------------

  function startMove(ev, node) {
    if (ev.button !== 0) return;
    ev.stopPropagation();
    const start = toWorld(ev.clientX, ev.clientY);
    const origin = { ...node.position };
    let moved = false;
    selected = { kind: 'node', id: node.id };
    paintPanel();
    const move = (e) => {
      const p = toWorld(e.clientX, e.clientY);
      node.position = { x: Math.round(origin.x + p.x - start.x), y: Math.round(origin.y + p.y - start.y) };
      moved = true;
      paintCanvas();
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      if (!moved) paintCanvas();
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  function startConnect(ev, node, handle) {
    ev.stopPropagation();
    ev.preventDefault();
    const a = handlePoint(node, handle);
    const move = (e) => ghost.setAttribute('d', edgePath(a, toWorld(e.clientX, e.clientY)));
    const up = (e) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      ghost.setAttribute('d', '');
      const p = toWorld(e.clientX, e.clientY);
      const target = nodes.find((n) => n.id !== node.id && p.x >= n.position.x - 10 && p.x <= n.position.x + W + 10 && p.y >= n.position.y - 14 && p.y <= n.position.y + H + 10);
      if (target && target.type !== 'trigger') connect(node.id, target.id, handle);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  canvas.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    canvas.focus({ preventScroll: true });
    selected = null;
    paint();
    const start = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y };
    const move = (e) => { view.x = start.vx + e.clientX - start.x; view.y = start.vy + e.clientY - start.y; applyView(); };
    const up = () => { window.removeEventListener('pointermove', move); window.removeEventListener('pointerup', up); };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  });

  function zoom(factor, cx, cy) {
    const r = canvas.getBoundingClientRect();
    const px = (cx ?? r.left + r.width / 2) - r.left;
    const py = (cy ?? r.top + r.height / 2) - r.top;
    const k = Math.min(2.5, Math.max(0.3, view.k * factor));
    view.x = px - ((px - view.x) * k) / view.k;
    view.y = py - ((py - view.y) * k) / view.k;
    view.k = k;
    applyView();
  }

  /** Fits every node into the canvas (never zooming in past 1). */
  function fit() {
    const r = canvas.getBoundingClientRect();
    if (!nodes.length || !r.width) return;
    const minX = Math.min(...nodes.map((n) => n.position.x));
    const minY = Math.min(...nodes.map((n) => n.position.y));
    const maxX = Math.max(...nodes.map((n) => n.position.x + W));
    const maxY = Math.max(...nodes.map((n) => n.position.y + H + 24));
    const k = Math.max(0.3, Math.min(1, (r.width - 48) / (maxX - minX), (r.height - 48) / (maxY - minY)));
    view = { k, x: (r.width - (maxX - minX) * k) / 2 - minX * k, y: 24 - minY * k };
    applyView();
  }

  canvas.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    zoom(ev.deltaY < 0 ? 1.1 : 1 / 1.1, ev.clientX, ev.clientY);
  }, { passive: false });

  canvas.addEventListener('keydown', (ev) => {
    if ((ev.key === 'Delete' || ev.key === 'Backspace') && selected) { ev.preventDefault(); removeSelected(); }
    if (ev.key === 'Tab' || !nodes.length) return;
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowDown' || ev.key === 'ArrowLeft' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const i = nodes.findIndex((n) => selected?.kind === 'node' && n.id === selected.id);
      const step = ev.key === 'ArrowRight' || ev.key === 'ArrowDown' ? 1 : -1;
      select({ kind: 'node', id: nodes[(i + step + nodes.length) % nodes.length].id });
    }
  });

  // The palette -----------------------------------------------------------------------------

  const palette = h('nav', { class: 'flow-palette', 'aria-label': 'Node types' },
    h('p', { class: 'flow-palette-title', text: 'Add a step' }),
    PALETTE.map(([type, action, label]) => {
      const b = h('button', { type: 'button', class: `flow-palette-item flow-palette-${type}`, text: label, dataset: { type, action: action || '' } });
      b.addEventListener('pointerdown', (ev) => {
        if (ev.button !== 0) return;
        ev.preventDefault();
        let dragging = false;
        const move = (e) => { dragging = dragging || Math.abs(e.clientX - ev.clientX) + Math.abs(e.clientY - ev.clientY) > 6; };
        const up = (e) => {
          window.removeEventListener('pointermove', move);
          window.removeEventListener('pointerup', up);
          const r = canvas.getBoundingClientRect();
          const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
          if (dragging && inside) {
            const p = toWorld(e.clientX, e.clientY);
            addNode(type, action, label, { x: p.x - W / 2, y: p.y - H / 2 });
          } else if (!dragging) {
            addAtFreeSpot(type, action, label);
          }
        };
        window.addEventListener('pointermove', move);
        window.addEventListener('pointerup', up);
      });
      b.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); addAtFreeSpot(type, action, label); }
      });
      return b;
    }));

  function addAtFreeSpot(type, action, label) {
    const lowest = nodes.reduce((m, n) => Math.max(m, n.position.y), -100);
    addNode(type, action, label, { x: 220, y: lowest + 120 });
  }

  // The side panel ------------------------------------------------------------------------

  function input(label, value, onChange, attrs = {}) {
    const id = `flow-${Math.random().toString(36).slice(2)}`;
    const control = attrs.type === 'textarea'
      ? h('textarea', { id, rows: 4 })
      : attrs.options
        ? h('select', { id }, attrs.options.map(([v, l]) => h('option', { value: v, text: l, selected: String(v) === String(value ?? '') })))
        : h('input', { id, type: attrs.type || 'text' });
    if (!attrs.options) control.value = value ?? '';
    control.name = attrs.name || label.toLowerCase().replace(/[^a-z0-9]+/g, '_');
    control.addEventListener('change', () => { onChange(attrs.type === 'number' ? (control.value === '' ? undefined : Number(control.value)) : control.value); paintCanvas(); });
    return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
  }

  function dataInput(node, key, label, attrs = {}) {
    return input(label, node.data[key], (v) => {
      if (v === undefined || v === '') delete node.data[key]; else node.data[key] = v;
    }, { name: key, ...attrs });
  }

  let segmentList = null;
  function segments() {
    segmentList = segmentList || request('GET', '/v1/segments', { query: { per_page: 100 } }).then((r) => r.data || []).catch(() => []);
    return segmentList;
  }

  /** The condition's filters in the segments filter language, edited with the segments
   *  filter builder (components/filter-builder.js) once the workspace's segments are known. */
  function conditionBuilder(node) {
    const holder = h('div', { class: 'flow-filter' }, loadingState('Loading…'));
    segments().then((list) => {
      const builder = filterBuilder({ filters: node.data.filters, segments: list, first: 'purchase_count',
        onChange: (json) => { node.data.filters = json; paintCanvas(); } });
      replace(holder, builder.element);
    });
    return holder;
  }

  let templateList = null;
  function templates() {
    templateList = templateList || request('GET', '/v1/email-templates', { query: { per_page: 100, sort: 'name', order: 'asc' } })
      .then((r) => r.data || []).catch(() => []);
    return templateList;
  }

  /** A send_email step: one of the workspace's saved templates (`GET /v1/email-templates`,
   *  stored as `email_template`, its key), or a subject and body written here. */
  function templatePicker(node) {
    const own = h('div', { class: 'flow-email-own' },
      dataInput(node, 'subject', 'Subject'), dataInput(node, 'body', 'Body', { type: 'textarea' }),
      h('p', { class: 'field-hint', text: 'Use {{customer.name}}, {{customer.email}}, {{event.properties.…}}.' }));
    const link = h('p', { class: 'field-hint flow-template-link' });
    const holder = h('div', { class: 'flow-email' }, loadingState('Loading templates…'));
    templates().then((list) => {
      const byID = list.find((t) => String(t.id) === String(node.data.email_template_id ?? ''));
      const current = node.data.email_template || node.data.template || (byID ? byID.key : '');
      const options = [['', 'Write subject and body'], ...list.map((t) => [t.key, `${t.name} (${t.key})`])];
      if (current && !list.some((t) => t.key === current)) options.push([current, `${current} (not found in this workspace)`]);
      const show = (key) => {
        own.hidden = Boolean(key);
        const t = list.find((x) => x.key === key);
        replace(link, ...(t ? [h('span', { text: `Subject: ${t.subject} ` }), h('a', { href: `#/email-templates/${t.id}`, text: 'Edit template' })]
          : key ? [h('span', { text: 'Create this template on the Email templates page, or choose another.' })]
            : [h('a', { href: '#/email-templates', text: 'Manage email templates' })]));
      };
      const picker = input('Template', current, (v) => {
        delete node.data.email_template_id;
        delete node.data.template;
        if (v) node.data.email_template = v; else delete node.data.email_template;
        show(v);
      }, { options, name: 'email_template' });
      show(current);
      replace(holder, picker, link, own);
    });
    return holder;
  }

  function nodeFields(node) {
    switch (kindOf(node)) {
      case 'trigger': return triggerSettings(automation, (saved) => { Object.assign(automation, saved); paint(); });
      case 'send_email': return [templatePicker(node)];
      case 'send_sms': return [dataInput(node, 'body', 'Message', { type: 'textarea' })];
      case 'webhook': return [dataInput(node, 'url', 'URL', { type: 'url' }), dataInput(node, 'secret', 'Signing secret (optional)')];
      case 'update_customer': return [dataInput(node, 'field', 'Field', { options: [['', 'A property…'], ['name', 'Name'], ['phone', 'Phone'], ['city', 'City'], ['country', 'Country']] }),
        dataInput(node, 'property', 'Property (when no field)'), dataInput(node, 'value', 'Value')];
      case 'add_tag': case 'remove_tag': return [dataInput(node, 'tag', 'Tag')];
      case 'create_crm_entry': return [dataInput(node, 'entity', 'Entity (id or slug)'), dataInput(node, 'pipeline', 'Pipeline id', { type: 'number' }),
        dataInput(node, 'stage', 'Stage id', { type: 'number' }), dataInput(node, 'title', 'Title'),
        input('Values (JSON: field key → value)', JSON.stringify(node.data.values || {}), (v) => { try { node.data.values = JSON.parse(v || '{}'); } catch { toast('The values must be JSON.', 'error'); } }, { type: 'textarea', name: 'values' })];
      case 'move_crm_entry': return [dataInput(node, 'stage', 'Stage id', { type: 'number' })];
      case 'notify_user': return [dataInput(node, 'email', 'Member email'), dataInput(node, 'subject', 'Subject'), dataInput(node, 'body', 'Body', { type: 'textarea' })];
      case 'delay': return [dataInput(node, 'amount', 'Wait', { type: 'number' }), dataInput(node, 'unit', 'Unit', { options: [['minutes', 'Minutes'], ['hours', 'Hours'], ['days', 'Days']] }),
        dataInput(node, 'until_weekday', 'Or until weekday (1 = Monday)', { type: 'number' }), dataInput(node, 'until_hour', 'At hour (0–23)', { type: 'number' }),
        dataInput(node, 'timezone', 'Time zone (e.g. Europe/Berlin)')];
      case 'condition': return [conditionBuilder(node), h('p', { class: 'field-hint', text: 'Lead the "yes" and "no" handles to the next steps.' })];
      case 'split': return [dataInput(node, 'percent_a', 'Percent to A', { type: 'number' })];
      default: return [];
    }
  }

  function paintPanel() {
    if (!selected) {
      replace(panel, h('h2', { class: 'flow-panel-title', text: 'Flow' }),
        h('p', { class: 'field-hint', text: 'Select a node to configure it. Drag a step from the palette, or press it to add it. Drag from a node\'s bottom handle to another node to connect them. Arrow keys on the canvas move the selection; Delete removes it.' }));
      return;
    }
    if (selected.kind === 'edge') {
      const e = edges.find((x) => x.id === selected.id);
      const del = h('button', { type: 'button', class: 'button button-danger button-small', text: 'Delete connection', dataset: { action: 'delete-edge' } });
      del.addEventListener('click', removeSelected);
      replace(panel, h('h2', { class: 'flow-panel-title', text: 'Connection' }), h('p', { text: e ? `${e.source} → ${e.target}${e.sourceHandle ? ` (${e.sourceHandle})` : ''}` : '' }), del);
      return;
    }
    const node = nodes.find((n) => n.id === selected.id);
    if (!node) return;
    const targets = nodes.filter((n) => n.id !== node.id && n.type !== 'trigger');
    const handles = outputs(node);
    const targetSelect = h('select', { name: 'connect_target', 'aria-label': 'Connect to' }, targets.map((t) => h('option', { value: t.id, text: `${t.id}: ${title(t)}` })));
    const handleSelect = h('select', { name: 'connect_handle', 'aria-label': 'From branch', hidden: handles.length < 2 }, handles.map((x) => h('option', { value: x || '', text: x || 'next' })));
    const connectButton = h('button', { type: 'button', class: 'button button-secondary button-small', text: 'Connect', dataset: { action: 'connect' } });
    connectButton.addEventListener('click', () => { if (targetSelect.value) connect(node.id, targetSelect.value, handleSelect.value || null); });
    const del = h('button', { type: 'button', class: 'button button-danger button-small', text: 'Delete node', dataset: { action: 'delete-node' } });
    del.addEventListener('click', removeSelected);
    const out = edges.filter((e) => e.source === node.id);
    replace(panel,
      h('h2', { class: 'flow-panel-title', text: `${title(node)} (node ${node.id})` }),
      errors[`nodes.${node.id}`] ? h('p', { class: 'field-error', text: errors[`nodes.${node.id}`].join(' ') }) : null,
      dataInput(node, 'label', 'Label'),
      nodeFields(node),
      handles.length ? h('div', { class: 'flow-connect' }, h('h3', { text: 'Connect' }), targetSelect, handleSelect, connectButton) : null,
      out.length ? h('ul', { class: 'flow-out' }, out.map((e) => {
        const x = h('button', { type: 'button', class: 'button button-ghost button-small', text: 'Remove', 'aria-label': `Remove connection to ${e.target}` });
        x.addEventListener('click', () => { edges = edges.filter((y) => y !== e); paint(); });
        return h('li', {}, h('span', { text: `${e.sourceHandle ? `${e.sourceHandle} → ` : '→ '}${e.target}` }), x);
      })) : null,
      del);
  }

  function paint() {
    paintCanvas();
    paintPanel();
    statusBadge.textContent = automation.is_active ? 'Active' : 'Inactive';
    statusBadge.className = `badge ${automation.is_active ? 'badge-success' : ''}`;
    activeButton.textContent = automation.is_active ? 'Deactivate' : 'Activate';
  }

  function showProblems() {
    const lines = Object.entries(errors).flatMap(([k, v]) => v.map((m) => ({ k, m })));
    problems.hidden = lines.length === 0;
    replace(problems, h('h2', { class: 'flow-problems-title', text: `${lines.length} problem${lines.length === 1 ? '' : 's'} to fix before this flow can run` }),
      h('ul', {}, lines.map(({ k, m }) => {
        const node = /^nodes\.(.+)$/.exec(k);
        const item = h('li', { dataset: { problem: k } }, m);
        if (node && nodes.some((n) => n.id === node[1])) {
          const go = h('button', { type: 'button', class: 'button button-ghost button-small', text: 'Show', 'aria-label': `Show node ${node[1]}` });
          go.addEventListener('click', () => select({ kind: 'node', id: node[1] }));
          item.append(' ', go);
        }
        return item;
      })));
    draftNote.hidden = !automation?.draft;
    draftNote.textContent = 'This is a draft: it is kept, but it does not run until it is saved as a complete flow.';
  }

  /** Keeps the flow as drawn, whatever its problems, and lists them. */
  async function saveDraft() {
    try {
      const answer = await request('POST', `/v1/automations/${id}/draft`, { body: { nodes, edges } });
      errors = answer.problems || {};
      automation.draft = { nodes, edges, problems: errors };
      unsaved.markClean();
      showProblems();
      paint();
      toast(answer.problems_count ? `Draft saved with ${answer.problems_count} problem${answer.problems_count === 1 ? '' : 's'} to fix.` : 'Draft saved; it has no problems left: save it to use it.');
    } catch (error) {
      if (!error.handled) toast(error.message, 'error');
    }
  }

  async function save(activating = false) {
    try {
      const answer = await request('POST', `/v1/automations/${id}/design`, { body: { nodes, edges } });
      errors = {};
      automation.draft = null;
      showProblems();
      unsaved.markClean();
      const moved = answer.enrolments?.moved?.length || 0;
      const ended = answer.enrolments?.ended?.length || 0;
      toast(`Saved: ${answer.nodes_count} nodes, ${answer.edges_count} connections.${moved || ended ? ` ${moved} enrolment(s) moved on, ${ended} ended.` : ''}`);
      paint();
      return true;
    } catch (error) {
      errors = error.errors || {};
      showProblems();
      paint();
      if (!error.handled) {
        toast(error.status !== 422 ? error.message
          : activating ? 'Not activated: the flow has problems to fix first (listed above).' : `Not saved: ${error.message} Save it as a draft to keep it.`, 'error');
      }
      return false;
    }
  }

  async function toggleActive() {
    try {
      if (!automation.is_active) {
        if (!(await save(true))) return;
        const trigger = (automation.trigger_type || '').replace(/_/g, ' ');
        const ok = await confirmDialog({
          title: `Activate ${automation.name}?`,
          message: `From now on, customers enrol on its trigger (${trigger}) and its ${nodes.length - 1} step${nodes.length === 2 ? '' : 's'} run for them: emails and messages go out without asking again. Paused enrolments resume.`,
          confirmLabel: 'Activate automation',
        });
        if (!ok) return;
      }
      const answer = await request('POST', `/v1/automations/${id}/${automation.is_active ? 'deactivate' : 'activate'}`);
      automation.is_active = answer.is_active;
      toast(automation.is_active ? 'Active: new customers enrol and paused ones resume.' : 'Inactive: enrolments are paused.');
      paint();
      refresh();
    } catch (error) {
      if (error.errors) { errors = error.errors; showProblems(); paint(); }
      if (!error.handled) toast(error.message, 'error');
    }
  }

  async function refresh() {
    if (!root.isConnected && poll) { clearInterval(poll); poll = null; return; }
    try {
      const fresh = await request('GET', `/v1/automations/${id}`);
      counts = fresh.node_counts || {};
      automation.is_active = fresh.is_active;
      paintCanvas();
      const list = await request('GET', `/v1/automations/${id}/enrolments`, { query: { per_page: 25 } });
      const labels = Object.fromEntries(nodes.map((n) => [n.id, title(n)]));
      const table = h('table', { class: 'table table-enrolments' },
        h('thead', {}, h('tr', {}, ['Customer', 'State', 'At', 'Path'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, (list.data || []).map((e) => h('tr', { dataset: { enrolment: String(e.id) } },
          h('td', {}, h('a', { href: `#/customers/${e.customer_id}`, text: e.customer_name || e.customer_email || `#${e.customer_id}` })),
          h('td', { text: e.state + (e.last_error ? ` (${e.last_error})` : '') }),
          h('td', { text: labels[e.current_node] || e.current_node || '—' }),
          h('td', { class: 'flow-path', text: (e.path || []).map((s) => `${labels[s.node_id] || s.node_id} ${s.outcome === 'completed' ? '✓' : s.outcome}`).join(' → ') })))));
      replace(enrolmentsBody, list.data?.length ? tableWrap(table, 'Enrolments') : h('p', { class: 'field-hint', text: 'Nobody is enrolled yet.' }));
    } catch {
      // A failed refresh leaves the last counts; the next tick tries again.
    }
  }

  saveButton.addEventListener('click', () => save());
  draftButton.addEventListener('click', saveDraft);
  activeButton.addEventListener('click', toggleActive);

  async function load() {
    try {
      automation = await request('GET', `/v1/automations/${id}`);
    } catch (error) {
      replace(root, errorState(error, load));
      return;
    }
    // A pending draft is what was drawn last: it opens with its problems listed.
    const shown = automation.draft || automation.design || {};
    nodes = (shown.nodes || []).map((n) => ({ ...n, data: { ...(n.data || {}) }, position: { x: n.position?.x ?? 0, y: n.position?.y ?? 0 } }));
    edges = (shown.edges || []).map((e) => ({ ...e }));
    errors = automation.draft?.problems || {};
    counts = automation.node_counts || {};
    // A new flow opens with its trigger in place, selected, ready to configure.
    if (!nodes.some((n) => n.type === 'trigger')) {
      nodes.unshift({ id: nextID(), type: 'trigger', data: { label: TRIGGER_LABEL[automation.trigger_type] || 'Trigger' }, position: { x: 220, y: 0 } });
      selected = { kind: 'node', id: nodes[0].id };
    }
    unsaved.markClean();
    const zoomIn = h('button', { type: 'button', class: 'button button-ghost button-small', text: '+', 'aria-label': 'Zoom in' });
    const zoomOut = h('button', { type: 'button', class: 'button button-ghost button-small', text: '−', 'aria-label': 'Zoom out' });
    const reset = h('button', { type: 'button', class: 'button button-ghost button-small', text: 'Fit' });
    zoomIn.addEventListener('click', () => zoom(1.2));
    zoomOut.addEventListener('click', () => zoom(1 / 1.2));
    reset.addEventListener('click', fit);
    replace(root,
      pageHeader({ title: automation.name, eyebrow: 'Automation', description: `Trigger: ${automation.trigger_type.replace(/_/g, ' ')}`, actions: [statusBadge, permit(activeButton, 'POST /v1/automations/{id}/activate', 'activate or deactivate automations'),
        // A live flow changed is a new flow live: on an active automation, what activating asks.
        automation.is_active
          ? permit(saveButton, 'automation.edit_active', 'change the flow of an active automation')
          : permit(saveButton, 'POST /v1/automations/{id}/design', 'change automations'),
        permit(draftButton, 'POST /v1/automations/{id}/draft', 'change automations')] }),
      problems,
      draftNote,
      h('div', { class: 'flow-designer' }, palette, h('div', { class: 'flow-stage' }, h('div', { class: 'flow-zoom' }, zoomOut, zoomIn, reset), canvas), panel),
      card({ title: 'Enrolments', description: 'Each customer in this flow and the path they took.', body: [enrolmentsBody] }));
    showProblems();
    paint();
    fit();
    refresh();
    poll = setInterval(refresh, 5000);
  }

  load();
  return root;
}
