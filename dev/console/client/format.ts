// Chat formatting → DOM nodes: the text is Brek's and the traveller's, so it is only ever set as
// text (Teams markdown alone becomes HTML, escaped first, because the card renderer's hook takes
// HTML). Slack's mrkdwn and WhatsApp share the marks (*bold*, _italic_, ~strike~, `code`); Slack
// writes links as <url|label>, WhatsApp leaves URLs bare, and both apps make bare URLs clickable.

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

function link(url: string, label: string): HTMLAnchorElement {
  const a = document.createElement('a');
  // Only web links become links; anything else stays text.
  if (/^https?:\/\//i.test(url)) a.href = url;
  a.target = '_blank';
  a.rel = 'noopener';
  a.textContent = label;
  return a;
}

function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Bare URLs made clickable (both apps do), the rest marked up. */
function appendLinkified(parent: Node, text: string): void {
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>]+[^\s<>.,;:!?)]/g)) {
    appendMarked(parent, text.slice(last, match.index));
    parent.appendChild(link(match[0], match[0]));
    last = (match.index ?? 0) + match[0].length;
  }
  appendMarked(parent, text.slice(last));
}

/** Slack mrkdwn: <url|label> and <url> links, bare URLs, marks, and Slack's three HTML escapes. */
export function mrkdwn(text: string): DocumentFragment {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(/<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>/g)) {
    appendLinkified(out, unescapeSlack(text.slice(last, match.index)));
    out.appendChild(link(match[1]!, unescapeSlack(match[2] ?? match[1]!)));
    last = (match.index ?? 0) + match[0].length;
  }
  appendLinkified(out, unescapeSlack(text.slice(last)));
  return out;
}

/** WhatsApp: marks, ```monospace``` blocks, and bare URLs made clickable (as the app does). */
export function whatsappText(text: string): DocumentFragment {
  const out = document.createDocumentFragment();
  text.split(/```([\s\S]*?)```/).forEach((part, i) => {
    if (i % 2 === 0) return appendLinkified(out, part);
    const code = document.createElement('code');
    code.textContent = part;
    out.appendChild(code);
  });
  return out;
}

/** Teams TextBlock markdown (**bold**, _italic_, [label](url)) as safe HTML for the card renderer. */
export function teamsMarkdownToHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return escaped
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2" target="_blank" rel="noopener">$1</a>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|\W)_([^_]+)_(?=\W|$)/g, '$1<em>$2</em>')
    .replace(/\n/g, '<br>');
}
