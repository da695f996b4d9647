// A simulated person per display name, the same in `npm run chat` and the console. Each channel
// makes its ids from this one (dev/local/<channel>.ts: slackUserFor, teamsUserFor…).

/** `Ana Lima` → `UANALIMA`: a Slack-shaped user id. */
export function userIdFor(name: string): string {
  const cleaned = name.toUpperCase().replace(/[^A-Z0-9]/g, '');
  return `U${cleaned || 'TRAVELLER'}`.slice(0, 20);
}
