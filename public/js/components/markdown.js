// A small, safe Markdown renderer for notes. It never parses HTML: it builds DOM nodes with
// createElement and puts every piece of the text in as a text node, so `<img onerror=…>` or
// `<script>` in a note shows as those characters. It emits only these elements: p, br, h3, h4,
// h5, ul, ol, li, blockquote, pre, code, strong, em, a. Links keep only http:, https: and
// mailto: addresses (anything else, `javascript:` included, stays text) and open in a new tab
// with rel="noopener noreferrer". No attribute but href, rel and target is ever set.

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The address if it is an absolute http(s) or mailto URL, else null. */
export function safeHref(raw) {
  const text = String(raw || '').trim();
  // Control characters and spaces could hide a scheme ("java\tscript:"): refuse them outright.
  if (!text || /[\u0000-\u0020\u007f-\u009f]/.test(text)) return null;
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return SAFE_PROTOCOLS.has(url.protocol) ? url.href : null;
}

// Inline spans, earliest match first: `code`, [text](url), **strong**, *em* or _em_.
const INLINE = /`([^`\n]+)`|\[([^\]\n]+)\]\(([^)\s]+)\)|\*\*([^*\n]+?)\*\*|\*([^*\n]+?)\*|\b_([^_\n]+?)_\b/;

function inline(text, parent) {
  let rest = text;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) { lines(rest, parent); break; }
    if (match.index > 0) lines(rest.slice(0, match.index), parent);
    const [whole, code, linkText, href, strong, em1, em2] = match;
    if (code !== undefined) {
      parent.append(el('code', code));
    } else if (linkText !== undefined) {
      const safe = safeHref(href);
      if (safe) {
        const a = document.createElement('a');
        a.setAttribute('href', safe);
        a.setAttribute('rel', 'noopener noreferrer');
        a.setAttribute('target', '_blank');
        inline(linkText, a);
        parent.append(a);
      } else {
        lines(whole, parent);
      }
    } else {
      const node = document.createElement(strong !== undefined ? 'strong' : 'em');
      inline(strong ?? em1 ?? em2, node);
      parent.append(node);
    }
    rest = rest.slice(match.index + whole.length);
  }
}

/** Text with its line breaks as <br>. */
function lines(text, parent) {
  text.split('\n').forEach((line, i) => {
    if (i > 0) parent.append(document.createElement('br'));
    if (line) parent.append(document.createTextNode(line));
  });
}

function el(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

const LIST_ITEM = /^\s*([-*+]|\d{1,9}[.)])\s+(.*)$/;

/** The note's Markdown as a fragment of whitelisted elements. */
export function renderMarkdown(source) {
  const fragment = document.createDocumentFragment();
  const rows = String(source ?? '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < rows.length) {
    const row = rows[i];
    if (!row.trim()) { i += 1; continue; }
    if (/^\s*```/.test(row)) {
      const code = [];
      i += 1;
      while (i < rows.length && !/^\s*```/.test(rows[i])) { code.push(rows[i]); i += 1; }
      i += 1;
      const pre = document.createElement('pre');
      pre.append(el('code', code.join('\n')));
      fragment.append(pre);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(row);
    if (heading) {
      // Notes are small: # is h3, ## h4, deeper h5.
      const node = document.createElement(`h${Math.min(heading[1].length + 2, 5)}`);
      inline(heading[2], node);
      fragment.append(node);
      i += 1;
      continue;
    }
    if (/^\s*>/.test(row)) {
      const quoted = [];
      while (i < rows.length && /^\s*>/.test(rows[i])) { quoted.push(rows[i].replace(/^\s*>\s?/, '')); i += 1; }
      const quote = document.createElement('blockquote');
      quote.append(renderMarkdown(quoted.join('\n')));
      fragment.append(quote);
      continue;
    }
    const item = LIST_ITEM.exec(row);
    if (item) {
      const ordered = /\d/.test(item[1]);
      const list = document.createElement(ordered ? 'ol' : 'ul');
      while (i < rows.length) {
        const next = LIST_ITEM.exec(rows[i]);
        if (!next || /\d/.test(next[1]) !== ordered) break;
        const li = document.createElement('li');
        inline(next[2], li);
        list.append(li);
        i += 1;
      }
      fragment.append(list);
      continue;
    }
    const paragraph = [];
    while (i < rows.length && rows[i].trim() && !LIST_ITEM.test(rows[i]) && !/^(#{1,6}\s|\s*>|\s*```)/.test(rows[i])) {
      paragraph.push(rows[i]);
      i += 1;
    }
    const p = document.createElement('p');
    inline(paragraph.join('\n'), p);
    fragment.append(p);
  }
  return fragment;
}

/** A `.markdown` block holding the rendered note. */
export function markdownBlock(source) {
  const block = document.createElement('div');
  block.className = 'markdown';
  block.append(renderMarkdown(source));
  return block;
}
