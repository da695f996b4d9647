// What Slack refuses in a message, as its Web API does (https://api.slack.com/reference/block-kit,
// chat.postMessage's errors): the fake answers `invalid_blocks` or `msg_too_long` for the same
// payloads, so a renderer that breaks a limit fails its tests as it would fail in Slack.
type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const textOf = (v: unknown): string => (isNode(v) && typeof v.text === 'string' ? v.text : '');

/** Why Slack would refuse these arguments, or undefined when it would take them. */
export function slackRefusal(args: Record<string, unknown>): string | undefined {
  const text = typeof args.text === 'string' ? args.text : '';
  if (text.length > 40_000) return 'msg_too_long';
  const blocks = args.blocks;
  if (blocks === undefined) return text ? undefined : 'no_text';
  if (!Array.isArray(blocks)) return 'invalid_blocks_format';
  if (blocks.length > 50) return 'invalid_blocks';
  const actionIds = new Set<string>();
  for (const block of blocks) {
    if (!isNode(block) || typeof block.type !== 'string') return 'invalid_blocks';
    if (block.type === 'section') {
      if (textOf(block.text).length > 3_000) return 'invalid_blocks';
      const fields = Array.isArray(block.fields) ? block.fields : [];
      if (fields.length > 10 || fields.some((f) => textOf(f).length > 2_000)) return 'invalid_blocks';
      if (!textOf(block.text) && fields.length === 0) return 'invalid_blocks';
    }
    if (block.type === 'header' && textOf(block.text).length > 150) return 'invalid_blocks';
    if (block.type === 'context' && (!Array.isArray(block.elements) || block.elements.length > 10)) return 'invalid_blocks';
    if (block.type === 'actions') {
      const elements = Array.isArray(block.elements) ? block.elements : [];
      if (elements.length === 0 || elements.length > 25) return 'invalid_blocks';
      for (const element of elements) {
        if (!isNode(element)) return 'invalid_blocks';
        if (element.type === 'button') {
          if (textOf(element.text).length > 75) return 'invalid_blocks';
          if (typeof element.value === 'string' && element.value.length > 2_000) return 'invalid_blocks';
          if (typeof element.url === 'string' && element.url.length > 3_000) return 'invalid_blocks';
        }
        if (typeof element.action_id === 'string') {
          if (element.action_id.length > 255 || actionIds.has(element.action_id)) return 'invalid_blocks';
          actionIds.add(element.action_id);
        }
      }
    }
  }
  return undefined;
}
