// A simulated person per display name, the same in `npm run chat` and the console: the ids each
// platform would give them, and where the bridge's replies to them are addressed.
import type { SlackUser } from './slack.ts';
import type { TeamsUser } from './teams.ts';
import type { WhatsAppUser } from './whatsapp.ts';

/** `Ana Lima` → `UANALIMA`: a Slack-shaped user id. */
export function userIdFor(name: string): string {
  const cleaned = name.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return `U${cleaned || 'TRAVELLER'}`.slice(0, 20);
}

export function slackUserFor(name: string): SlackUser & { channel: string } {
  const userId = userIdFor(name);
  // The bot's direct-message channel with this user.
  return { teamId: 'T0LOCAL', userId, channel: `D${userId}` };
}

export function teamsUserFor(name: string): TeamsUser & { conversationId: string } {
  const aadObjectId = `aad-${userIdFor(name).toLowerCase()}`;
  return { tenantId: 'tenant-local', aadObjectId, name, conversationId: `a:${aadObjectId}` };
}

/** A made-up number per name: it stays on this machine, and the bridge hashes it before storing anything. */
export function whatsappUserFor(name: string): WhatsAppUser & { address: string } {
  const digits = [...name].reduce((n, c) => (n * 31 + c.charCodeAt(0)) % 10_000_000, 7);
  const phone = `+1555${String(digits).padStart(7, '0')}`;
  return { phone, name, address: `whatsapp:${phone}` };
}
