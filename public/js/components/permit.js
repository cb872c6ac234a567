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

function article(word) {
  return /^[aeiou]/i.test(word || 'viewer') ? 'an' : 'a';
}
