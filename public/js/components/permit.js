// What the signed-in role may not do is shown, not hidden: the control stays in its place,
// disabled, and says why (its tooltip and a short note beside it). The rule is the server's
// permission table (session.can), which also refuses the call itself.

import { h, uid } from '../dom.js';
import { session } from '../session.js';

/**
 * Returns `control` as is when the role may call `route` ("METHOD /pattern"); otherwise a
 * wrapper holding it disabled, with the reason ("Only admins and owners can delete
 * segments.") as its tooltip and as a visible note. Links lose their href.
 */
export function permit(control, route, doing) {
  if (session.can(route)) return control;
  const reason = session.reason(route, doing);
  const noteID = uid('permit');
  disable(control, reason, noteID);
  return h('span', { class: 'permit', title: reason, dataset: { permitRoute: route } },
    control,
    h('span', { class: 'permit-note', id: noteID, text: reason }));
}

/**
 * A row of actions, each `[control, route, doing]` (or a bare node): the ones the role may not
 * use are disabled, and one note after the row gives every reason once. Returns the nodes.
 */
export function permitAll(items) {
  const noteID = uid('permit');
  // "Only owners and admins" → ["export customers", "erase customers"], in order.
  const byWho = new Map();
  const nodes = items.filter(Boolean).map((item) => {
    if (!Array.isArray(item)) return item;
    const [control, route, doing] = item;
    if (session.can(route)) return control;
    const who = session.whoCan(route);
    if (!byWho.has(who)) byWho.set(who, []);
    if (!byWho.get(who).includes(doing)) byWho.get(who).push(doing);
    disable(control, session.reason(route, doing), noteID);
    return control;
  });
  const sentences = [...byWho].map(([who, doings]) => `${who} can ${listText(doings)}.`);
  if (sentences.length) nodes.push(h('p', { class: 'permit-note permit-note-row', id: noteID, text: sentences.join(' ') }));
  return nodes;
}

/** Like `permit`, but with the reason only as a tooltip (for tight rows and menus). */
export function permitQuiet(control, route, doing) {
  if (session.can(route)) return control;
  disable(control, session.reason(route, doing));
  return control;
}

function disable(control, reason, noteID = null) {
  control.classList.add('is-disabled');
  control.setAttribute('aria-disabled', 'true');
  control.title = reason;
  control.dataset.reason = reason;
  if (noteID) control.setAttribute('aria-describedby', noteID);
  if (control.tagName === 'A') {
    control.removeAttribute('href');
    control.setAttribute('role', 'button');
  } else {
    control.disabled = true;
  }
  // Whatever listener it has, it does nothing.
  control.addEventListener('click', (event) => { event.preventDefault(); event.stopImmediatePropagation(); }, true);
}

/** A page-wide note for a role that may only read here, or nothing. */
export function readOnlyNote(route, doing) {
  if (session.can(route)) return null;
  return h('div', { class: 'alert alert-info permit-alert', role: 'note' },
    h('div', { class: 'alert-content' }, h('p', { text: `You are ${article(session.me?.role)} ${session.me?.role || 'viewer'} here. ${session.reason(route, doing)}` })));
}

/** "a", "a and b", "a, b and c". */
function listText(words) {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function article(word) {
  return /^[aeiou]/i.test(word || 'viewer') ? 'an' : 'a';
}
