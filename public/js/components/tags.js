// A record's tags in a form (the customer and company forms): one text field, commas between
// the tags; the list pages show them with tagList (list.js).

import { field } from './form.js';

/** A record's tags as a form's text field shows them: "VIP, Newsletter". */
export function tagsText(tags) {
  return (tags || []).join(', ');
}

/** The tags a form's text field names (commas between them), without blanks or repeats. */
export function parseTags(text) {
  const seen = new Set();
  return String(text || '').split(',').map((t) => t.trim().replace(/\s+/g, ' ')).filter((t) => {
    const key = t.toLowerCase();
    if (!t || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether two lists name the same tags (case and order aside). */
export function sameTags(a, b) {
  const key = (list) => (list || []).map((t) => t.toLowerCase()).sort().join('\n');
  return key(a) === key(b);
}

/** The form field of a record's tags. */
export function tagsField(tags) {
  return field({ label: 'Tags', name: 'tags', optional: true, maxlength: 1100, autocomplete: 'off', spellcheck: 'false',
    hint: 'Separate tags with commas, e.g. VIP, Newsletter.', value: tagsText(tags) });
}
