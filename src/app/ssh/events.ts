/**
 * SSH app-layer events, as `app-layer-event:ssh.<name>` names them in
 * Suricata's rules/ssh-events.rules. The ids index SSH_EVENT_NAMES.
 */
export const SshEvent = {
  INVALID_BANNER: 0,
  LONG_BANNER: 1,
  INVALID_RECORD: 2,
} as const;

/** Event names by id, as rules write them after `ssh.`. */
export const SSH_EVENT_NAMES: readonly string[] = ['invalid_banner', 'long_banner', 'invalid_record'];

/** Returns the id of an SSH event name, or -1 when the name is unknown. */
export function findSshEvent(name: string): number {
  return SSH_EVENT_NAMES.indexOf(name);
}
