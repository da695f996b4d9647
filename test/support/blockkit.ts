// Block Kit's documented limits (api.slack.com/reference/block-kit), checked on every rendered
// message: a message over a limit is rejected by Slack with invalid_blocks.
import type { KnownBlock } from '@slack/types';

type Obj = Record<string, unknown>;

export function blockKitProblems(message: { text: string; blocks: KnownBlock[] }): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  check(message.text.trim().length > 0, 'fallback text is empty');
  check(message.text.length <= 40_000, 'fallback text over 40000');
  check(message.blocks.length <= 50, `${message.blocks.length} blocks (max 50)`);
  const actionIds = new Set<string>();
  const textLen = (t: unknown) => (typeof t === 'object' && t !== null ? String((t as Obj).text ?? '').length : 0);

  const element = (e: Obj, where: string) => {
    if (e.type !== 'button') return;
    check((e.text as Obj | undefined)?.type === 'plain_text', `${where}: button text must be plain_text`);
    check(textLen(e.text) > 0 && textLen(e.text) <= 75, `${where}: button text length ${textLen(e.text)}`);
    check(typeof e.action_id === 'string' && e.action_id.length <= 255, `${where}: action_id`);
    if (typeof e.action_id === 'string') {
      check(!actionIds.has(e.action_id), `${where}: duplicate action_id ${e.action_id}`);
      actionIds.add(e.action_id);
    }
    if (e.value !== undefined) check(typeof e.value === 'string' && e.value.length <= 2000, `${where}: value over 2000`);
    if (e.url !== undefined) check(typeof e.url === 'string' && e.url.length <= 3000 && /^https?:\/\//.test(e.url), `${where}: url`);
    if (e.style !== undefined) check(e.style === 'primary' || e.style === 'danger', `${where}: style ${String(e.style)}`);
    if (e.confirm !== undefined) {
      const c = e.confirm as Obj;
      check(textLen(c.title) <= 100 && textLen(c.text) <= 300 && textLen(c.confirm) <= 30 && textLen(c.deny) <= 30, `${where}: confirm dialog limits`);
    }
  };

  message.blocks.forEach((raw, i) => {
    const block = raw as unknown as Obj;
    const where = `block ${i} (${String(block.type)})`;
    if (block.block_id !== undefined) check(String(block.block_id).length <= 255, `${where}: block_id`);
    switch (block.type) {
      case 'section': {
        check(block.text !== undefined || block.fields !== undefined, `${where}: needs text or fields`);
        if (block.text) check(textLen(block.text) > 0 && textLen(block.text) <= 3000, `${where}: text length ${textLen(block.text)}`);
        if (block.fields) {
          const fields = block.fields as Obj[];
          check(fields.length <= 10, `${where}: ${fields.length} fields`);
          for (const f of fields) check(textLen(f) <= 2000, `${where}: field over 2000`);
        }
        if (block.accessory) element(block.accessory as Obj, `${where} accessory`);
        break;
      }
      case 'actions': {
        const elements = block.elements as Obj[];
        check(elements.length > 0 && elements.length <= 25, `${where}: ${elements.length} elements`);
        elements.forEach((e, j) => element(e, `${where} element ${j}`));
        break;
      }
      case 'context': {
        const elements = block.elements as Obj[];
        check(elements.length > 0 && elements.length <= 10, `${where}: ${elements.length} elements`);
        for (const e of elements) check(textLen(e) <= 3000, `${where}: element text`);
        break;
      }
      case 'divider':
      case 'header':
        break;
      default:
        problems.push(`${where}: unexpected block type`);
    }
  });
  return problems;
}
