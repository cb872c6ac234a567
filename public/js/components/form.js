// Form building blocks: labelled fields with hints and errors, an alert region, client-side
// checks through the browser's constraint validation, and the API's field errors.

import { h, icon, uid } from '../dom.js';

/**
 * A labelled field. `type`: any input type, or `select` (with `options`: [{value, label}])
 * or `textarea`. Other keys become attributes of the control.
 */
export function field({ label, name, type = 'text', hint, optional = false, options = [], value, ...attrs }) {
  const id = uid(`f-${name}`);
  const hintId = hint ? `${id}-hint` : null;
  const errorId = `${id}-error`;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  let control;
  if (type === 'select') {
    control = h('select', { id, name, 'aria-describedby': describedBy, ...attrs },
      options.map((option) => h('option', { value: option.value, text: option.label, selected: option.value === value })));
  } else if (type === 'textarea') {
    control = h('textarea', { id, name, 'aria-describedby': describedBy, rows: 3, ...attrs });
    if (value !== undefined) control.value = value;
  } else {
    control = h('input', { id, name, type, 'aria-describedby': describedBy, ...attrs });
    if (value !== undefined) control.value = value;
  }
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label, optional ? h('span', { class: 'optional', text: ' (optional)' }) : null),
    control,
    hint ? h('p', { class: 'field-hint', id: hintId, text: hint }) : null,
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
}

/** The form's alert region (role="alert"); empty and hidden until there is something to say. */
export function alertRegion() {
  return h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
}

/** Shows a message in an alert region, optionally with a list of further lines. */
export function showAlert(region, message, lines = [], kind = 'error') {
  region.className = `alert alert-${kind}`;
  region.replaceChildren(
    icon(kind === 'error' ? 'alert' : 'info'),
    h('div', { class: 'alert-content' }, h('p', { text: message }), lines.length ? h('ul', {}, lines.map((line) => h('li', { text: line }))) : null),
  );
  region.hidden = false;
}

export function hideAlert(region) {
  region.hidden = true;
  region.replaceChildren();
}

function setFieldError(form, name, messages) {
  const wrapper = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
  if (!wrapper) return false;
  const control = wrapper.querySelector('input, select, textarea');
  const error = wrapper.querySelector('.field-error');
  control.setAttribute('aria-invalid', 'true');
  error.textContent = messages.join(' ');
  error.hidden = false;
  wrapper.classList.add('has-error');
  return true;
}

/** Clears field errors and the alert region of a form. */
export function clearErrors(form) {
  for (const wrapper of form.querySelectorAll('.field.has-error')) {
    wrapper.classList.remove('has-error');
    wrapper.querySelector('input, select, textarea')?.removeAttribute('aria-invalid');
    const error = wrapper.querySelector('.field-error');
    error.textContent = '';
    error.hidden = true;
  }
  const region = form.querySelector('.alert');
  if (region) hideAlert(region);
}

/**
 * Checks required, type, minlength and pattern of every control, plus `extra(form)` which
 * returns {name: message}. Shows the problems and returns false when there are any.
 */
export function validate(form, extra) {
  clearErrors(form);
  const problems = {};
  for (const control of form.querySelectorAll('input[name], select[name], textarea[name]')) {
    if (!control.willValidate || control.checkValidity()) continue;
    problems[control.name] = [validationText(control)];
  }
  if (extra) {
    for (const [name, message] of Object.entries(extra(form) || {})) {
      if (message && !problems[name]) problems[name] = [message];
    }
  }
  const names = Object.keys(problems);
  if (!names.length) return true;
  for (const name of names) setFieldError(form, name, problems[name]);
  focusFirstInvalid(form);
  return false;
}

function validationText(control) {
  const label = control.labels?.[0]?.firstChild?.textContent?.trim() || 'This field';
  const v = control.validity;
  if (v.valueMissing) return `${label} is required.`;
  if (v.typeMismatch && control.type === 'email') return 'Enter a valid email address.';
  if (v.tooShort) return `Use at least ${control.minLength} characters.`;
  if (v.tooLong) return `Use at most ${control.maxLength} characters.`;
  return control.validationMessage;
}

/** The first field with an error comes into view (in the middle, clear of the sticky top bar) and takes focus. */
function focusFirstInvalid(form) {
  const first = form.querySelector('[aria-invalid="true"]');
  if (!first) return;
  const wrapper = first.closest('.field') || first;
  const smooth = !window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
  wrapper.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
  first.focus({ preventScroll: true });
}

/**
 * Shows an ApiError on a form: field errors beside their fields, the message (and errors of
 * fields the form does not have) in its alert region.
 */
export function showErrors(form, error) {
  clearErrors(form);
  const others = [];
  let placed = 0;
  for (const [name, messages] of Object.entries(error.errors || {})) {
    const list = Array.isArray(messages) ? messages.map(String) : [String(messages)];
    if (setFieldError(form, name, list)) placed += 1;
    else others.push(...list);
  }
  const region = form.querySelector('.alert');
  // With every problem shown beside its field, the alert says where to look.
  let message = error.message || 'Something went wrong.';
  if (placed && !others.length && error.status === 422) {
    message = placed === 1 ? 'Please correct the highlighted field.' : `Please correct the ${placed} highlighted fields.`;
  }
  if (region) showAlert(region, message, others);
  if (placed) focusFirstInvalid(form);
}

/**
 * Runs `action` with the submit button disabled and marked busy. Returns its result, or
 * undefined when it threw an ApiError (then shown on the form). Other errors propagate.
 */
export async function submitting(form, action) {
  const button = form.querySelector('button[type="submit"]');
  const label = button?.textContent;
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    if (button.dataset.busyLabel) button.textContent = button.dataset.busyLabel;
  }
  try {
    return await action();
  } catch (error) {
    if (error && error.name === 'ApiError') {
      if (error.status !== 401 || !error.handled) showErrors(form, error);
      return undefined;
    }
    throw error;
  } finally {
    if (button && button.isConnected) {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      if (button.dataset.busyLabel) button.textContent = label;
    }
  }
}

/** The values of a form's named controls, trimmed (passwords excepted). */
export function values(form) {
  const result = {};
  for (const control of form.querySelectorAll('input[name], select[name], textarea[name]')) {
    result[control.name] = control.type === 'password' ? control.value : control.value.trim();
  }
  return result;
}
