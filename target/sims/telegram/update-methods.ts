/**
 * Bot API methods about the bot and how it receives updates: getMe,
 * getUpdates (offset, limit, long poll, 409s), setWebhook, deleteWebhook,
 * getWebhookInfo, setMyCommands.
 */
import { NonLoopbackUrlError, requireLoopbackUrl } from '../shared/loopback-url.ts';
import { TelegramApiError, TEXT } from './errors.ts';
import type { CallContext, MethodOutcome } from './message-methods.ts';
import type { Params } from './params.ts';
import { optionalBool, optionalInt, optionalJson, optionalString } from './params.ts';
import type { TelegramSimState } from './state.ts';
import { noteHandedOut } from './state.ts';
import type { TgUpdateType, TgWebhookInfo } from './types.ts';
import type { WebhookSender } from './webhook-sender.ts';

const UPDATE_TYPES: readonly TgUpdateType[] = ['message', 'callback_query'];

export function getMe(state: TelegramSimState): MethodOutcome {
  return { result: state.bot };
}

/** allowed_updates: undefined keeps the previous choice, [] means every kind. */
function readAllowedUpdates(params: Params): string[] | null | undefined {
  const raw = optionalJson(params, 'allowed_updates', "Bad Request: can't parse allowed updates");
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || !raw.every((t) => typeof t === 'string')) throw new TelegramApiError(400, "Bad Request: can't parse allowed updates");
  return raw.length === 0 ? null : (raw as string[]);
}

function applyAllowedUpdates(state: TelegramSimState, allowed: string[] | null | undefined): void {
  if (allowed === undefined) return;
  state.allowedUpdates = allowed === null ? null : UPDATE_TYPES.filter((type) => allowed.includes(type));
}

export async function getUpdates(state: TelegramSimState, { params, signal }: CallContext): Promise<MethodOutcome> {
  if (state.webhook !== null) throw new TelegramApiError(409, TEXT.conflictWebhookActive);
  const offset = optionalInt(params, 'offset');
  const limit = Math.min(100, Math.max(1, optionalInt(params, 'limit') ?? 100));
  const timeoutSeconds = Math.min(state.options.maxLongPollSeconds, Math.max(0, optionalInt(params, 'timeout') ?? 0));
  applyAllowedUpdates(state, readAllowedUpdates(params));
  if (offset !== undefined) state.updates.confirm(offset);
  const handed = await state.updates.poll(limit, timeoutSeconds * 1000, signal);
  noteHandedOut(state, handed);
  return { result: handed.map((q) => q.update) };
}

export function setWebhook(state: TelegramSimState, sender: WebhookSender, { params }: CallContext): MethodOutcome {
  const url = optionalString(params, 'url') ?? '';
  if (url === '') return deleteWebhook(state, sender, { params, signal: new AbortController().signal, now: Date.now() });
  try {
    requireLoopbackUrl(url);
  } catch (error) {
    const reason = error instanceof NonLoopbackUrlError ? error.message : String(error);
    throw new TelegramApiError(400, `Bad Request: bad webhook: ${reason}`);
  }
  const secretToken = optionalString(params, 'secret_token');
  if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) throw new TelegramApiError(400, TEXT.badWebhookSecret);
  const maxConnections = optionalInt(params, 'max_connections') ?? 40;
  if (maxConnections < 1 || maxConnections > 100) throw new TelegramApiError(400, 'Bad Request: bad webhook: max_connections must be between 1 and 100');
  const allowed = readAllowedUpdates(params);
  applyAllowedUpdates(state, allowed);
  if (optionalBool(params, 'drop_pending_updates')) state.updates.dropAll();
  const sameUrl = state.webhook?.url === url;
  state.updates.terminate(new TelegramApiError(409, TEXT.conflictSetWebhook));
  state.webhook = {
    url,
    secretToken: secretToken ?? null,
    maxConnections,
    allowedUpdates: allowed === undefined ? (state.webhook?.allowedUpdates ?? null) : allowed,
  };
  if (!sameUrl) state.webhookLastError = null;
  sender.stop();
  sender.kick();
  return { result: true, description: sameUrl ? 'Webhook is already set' : 'Webhook was set' };
}

export function deleteWebhook(state: TelegramSimState, sender: WebhookSender, { params }: CallContext): MethodOutcome {
  if (optionalBool(params, 'drop_pending_updates')) state.updates.dropAll();
  const had = state.webhook !== null;
  state.webhook = null;
  state.webhookLastError = null;
  sender.stop();
  return { result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' };
}

export function webhookInfo(state: TelegramSimState): TgWebhookInfo {
  const webhook = state.webhook;
  return {
    url: webhook?.url ?? '',
    has_custom_certificate: false,
    pending_update_count: state.updates.size,
    ...(webhook ? { max_connections: webhook.maxConnections } : {}),
    ...(webhook?.allowedUpdates ? { allowed_updates: webhook.allowedUpdates } : {}),
    ...(state.webhookLastError ? { last_error_date: state.webhookLastError.date, last_error_message: state.webhookLastError.message } : {}),
  };
}

export function getWebhookInfo(state: TelegramSimState): MethodOutcome {
  return { result: webhookInfo(state) };
}

export function setMyCommands({ params }: CallContext): MethodOutcome {
  const commands = optionalJson(params, 'commands', "Bad Request: can't parse commands JSON object");
  if (!Array.isArray(commands)) throw new TelegramApiError(400, "Bad Request: can't parse commands JSON object");
  return { result: true };
}
