// The pipai-admin command table: every command, in the order help lists them.
import { EVENT_COMMANDS } from './events.ts';
import { KEY_COMMANDS } from './keys.ts';

export const COMMANDS = [...KEY_COMMANDS, ...EVENT_COMMANDS];
