// A reader for the YAML that openapi.yaml is written in, not for YAML at large: block
// mappings and sequences by indentation, comments, plain and double- or single-quoted
// scalars, and flow collections written as JSON ({"a": 1}, ["x", "y"], {}). No anchors, tags,
// multi-line scalars or multiple documents. Throws a SyntaxError naming the line otherwise.

function scalar(text, line) {
  const t = text.trim();
  if (t === '' || t === '~' || t === 'null') return null;
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t.startsWith('"') || t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch {
      throw new SyntaxError(`openapi.yaml line ${line}: cannot read ${t.slice(0, 40)}`);
    }
  }
  if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(t)) return Number(t);
  return t;
}

/** Strips a comment: a # at the start or after a space, outside quotes. */
function stripComment(text) {
  let quote = null;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i += 1;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || text[i - 1] === ' ')) {
      return text.slice(0, i);
    }
  }
  return text;
}

/** The key and the rest of a `key: value` line (the key may be quoted), or null. */
function splitKey(text) {
  let key;
  let rest;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = text.indexOf(text[0], 1);
    if (end < 0 || text[end + 1] !== ':') return null;
    key = text[0] === '"' ? JSON.parse(text.slice(0, end + 1)) : text.slice(1, end);
    rest = text.slice(end + 2);
  } else {
    const match = /^([^\s:"'{[][^:]*?):(\s|$)/.exec(text);
    if (!match) return null;
    key = match[1].trim();
    rest = text.slice(match[0].length - match[2].length);
  }
  if (rest !== '' && !rest.startsWith(' ')) return null;
  return { key, rest: rest.trim() };
}

/** Parses the YAML subset into plain objects, arrays and scalars. */
export function parseYAML(source) {
  const lines = [];
  source.split(/\r?\n/).forEach((raw, index) => {
    const text = stripComment(raw).replace(/\s+$/, '');
    if (text.trim() === '' || text.trim() === '---') return;
    const indent = text.length - text.trimStart().length;
    lines.push({ indent, text: text.trimStart(), number: index + 1 });
  });
  let position = 0;

  function block(indent) {
    const first = lines[position];
    if (!first || first.indent < indent) return null;
    return first.text.startsWith('- ') || first.text === '-' ? sequence(first.indent) : mapping(first.indent);
  }

  function value(rest, indent, line) {
    if (rest !== '') return scalar(rest, line);
    const next = lines[position];
    if (!next || next.indent < indent) return null;
    // A sequence may sit at the same indentation as its key.
    if (next.indent === indent && !(next.text.startsWith('- ') || next.text === '-')) return null;
    return block(next.indent);
  }

  function mapping(indent) {
    const object = {};
    while (position < lines.length && lines[position].indent === indent) {
      const line = lines[position];
      if (line.text.startsWith('- ')) break;
      const pair = splitKey(line.text);
      if (!pair) throw new SyntaxError(`openapi.yaml line ${line.number}: expected key: value`);
      position += 1;
      object[pair.key] = value(pair.rest, indent + 1, line.number);
      if (object[pair.key] === null && lines[position] && lines[position].indent === indent
          && (lines[position].text.startsWith('- ') || lines[position].text === '-')) {
        object[pair.key] = sequence(indent);
      }
    }
    return object;
  }

  function sequence(indent) {
    const array = [];
    while (position < lines.length && lines[position].indent === indent
           && (lines[position].text.startsWith('- ') || lines[position].text === '-')) {
      const line = lines[position];
      const rest = line.text === '-' ? '' : line.text.slice(2);
      if (rest === '') {
        position += 1;
        array.push(block(indent + 1));
      } else if (splitKey(rest) && !/^["{[]/.test(rest)) {
        // "- key: value" opens a mapping whose keys sit two columns in.
        lines[position] = { indent: indent + 2, text: rest, number: line.number };
        array.push(mapping(indent + 2));
      } else {
        position += 1;
        array.push(scalar(rest, line.number));
      }
    }
    return array;
  }

  const result = block(0);
  if (position < lines.length) throw new SyntaxError(`openapi.yaml line ${lines[position].number}: unexpected indentation`);
  return result;
}
