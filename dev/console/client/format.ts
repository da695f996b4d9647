// Chat formatting → DOM nodes, shared by the channels' views (each formats its own markup in its
// file): the text is Brek's and the traveller's, so it is only ever set as text. The chat apps
// share these marks (*bold*, _italic_, ~strike~, `code`) and make bare URLs clickable.

const MARKS: Record<string, string> = { '*': 'strong', _: 'em', '~': 's', '`': 'code' };

/** *bold*, _italic_, ~strike~ and `code` spans of one piece of text; marks may nest (_a *b*_). */
function appendMarked(parent: Node, text: string): void {
  const pattern = /([*_~`])((?:(?!\1)[^\n])+?)\1/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const index = match.index ?? 0;
    if (index < last) continue;
    // A mark only counts at a word boundary, as in Slack and WhatsApp (snake_case stays as is).
    const before = text[index - 1];
    const after = text[index + match[0].length];
    if ((before && /\w/.test(before)) || (after && /\w/.test(after))) continue;
    parent.appendChild(document.createTextNode(text.slice(last, index)));
    const element = document.createElement(MARKS[match[1]!]!);
    if (match[1] === '`') element.textContent = match[2]!;
    else appendMarked(element, match[2]!);
    parent.appendChild(element);
    last = index + match[0].length;
  }
  parent.appendChild(document.createTextNode(text.slice(last)));
}

export function link(url: string, label: string): HTMLAnchorElement {
  const a = document.createElement('a');
  // Only web links become links; anything else stays text.
  if (/^https?:\/\//i.test(url)) a.href = url;
  a.target = '_blank';
  a.rel = 'noopener';
  a.textContent = label;
  return a;
}

/** Bare URLs made clickable (both apps do), the rest marked up. */
export function appendLinkified(parent: Node, text: string): void {
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>]+[^\s<>.,;:!?)]/g)) {
    appendMarked(parent, text.slice(last, match.index));
    parent.appendChild(link(match[0], match[0]));
    last = (match.index ?? 0) + match[0].length;
  }
  appendMarked(parent, text.slice(last));
}
