/**
 * Telegram simulator, Bot API surface: the envelope, authentication, the
 * three ways of passing parameters, and the chat methods with their errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TgEnvelope, TgMessage, TgUser } from '../../target/sims/telegram/types.ts';
import { requestJson, sleep } from './helpers.ts';
import type { RunningTelegram } from './telegram-helpers.ts';
import { assertTgError, resultOf, startTelegram, TOKEN } from './telegram-helpers.ts';

let tg: RunningTelegram;

before(async () => {
  tg = await startTelegram({ callbackQueryTtlMs: 300 });
});
after(async () => {
  await tg.close();
});

test('getMe answers the bot user inside { ok: true, result }', async () => {
  const answer = await tg.api('getMe');
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  const me = resultOf<TgUser & { can_join_groups: boolean }>(answer);
  assert.equal(me.id, 7000000001);
  assert.equal(me.is_bot, true);
  assert.equal(typeof me.username, 'string');
  assert.equal(typeof me.can_join_groups, 'boolean');
});

test('a wrong token is 401 Unauthorized and an unknown method 404 Not Found, exactly as Telegram words them', async () => {
  const wrong = await requestJson<TgEnvelope>(`${tg.url}/bot123:wrong/getMe`, { body: {} });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.body, { ok: false, error_code: 401, description: 'Unauthorized' });
  const unknown = await requestJson<TgEnvelope>(`${tg.url}/bot${TOKEN}/sendTelepathy`, { body: {} });
  assert.equal(unknown.status, 404);
  assert.deepEqual(unknown.body, { ok: false, error_code: 404, description: 'Not Found' });
  const stray = await requestJson<TgEnvelope>(`${tg.url}/somewhere/else`);
  assert.deepEqual(stray.body, { ok: false, error_code: 404, description: 'Not Found' });
});

test('parameters arrive as JSON, as a form or in the query string; method names ignore case', async () => {
  const chatId = tg.control.userId(1);
  const viaJson = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: chatId, text: 'json' }));
  const form = new URLSearchParams({ chat_id: String(chatId), text: 'form', reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] }) });
  const viaForm = await fetch(`${tg.url}/bot${TOKEN}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  const formMessage = ((await viaForm.json()) as { result: TgMessage }).result;
  const viaQuery = resultOf<TgMessage>(await requestJson<TgEnvelope>(`${tg.url}/bot${TOKEN}/SENDMESSAGE?chat_id=${chatId}&text=query`));
  assert.equal(viaJson.text, 'json');
  assert.equal(formMessage.text, 'form');
  assert.deepEqual(formMessage.reply_markup, { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] });
  assert.equal(viaQuery.text, 'query');
  assert.deepEqual([viaJson.message_id, formMessage.message_id, viaQuery.message_id], [viaJson.message_id, viaJson.message_id + 1, viaJson.message_id + 2]);
  const broken = await fetch(`${tg.url}/bot${TOKEN}/getMe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
  assert.equal(broken.status, 400);
  assert.equal(((await broken.json()) as { description: string }).description, "Bad Request: can't parse JSON");
});

test('sendMessage returns a real Message; ids count per chat and are shared with the user side', async () => {
  const inject = tg.control.injectMessage({ user: 2, text: 'hello' });
  assert.equal(inject.message_id, 1);
  const keyboard = { inline_keyboard: [[{ text: 'Done', callback_data: 'done:1' }]] };
  const first = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: inject.chat_id, text: 'Hi!', reply_markup: keyboard }));
  assert.equal(first.message_id, 2);
  assert.equal(first.chat.id, inject.chat_id);
  assert.equal(first.chat.type, 'private');
  assert.equal(first.from?.id, 7000000001);
  assert.equal(first.from?.is_bot, true);
  assert.equal(first.text, 'Hi!');
  assert.deepEqual(first.reply_markup, keyboard);
  assert.ok(Math.abs(first.date - Date.now() / 1000) < 5, 'date is the current unix time');
  const second = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: inject.chat_id, text: 'again', reply_markup: { remove_keyboard: true } }));
  assert.equal(second.message_id, 3);
  assert.equal(second.reply_markup, undefined, 'only inline keyboards stay on a message');
  const other = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: tg.control.userId(3), text: 'other chat' }));
  assert.equal(other.message_id, 1);
  const group = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: tg.control.groupChatId(1), text: 'to the group' }));
  assert.equal(group.chat.type, 'group');
  assert.ok(group.chat.id < 0);
});

test('sendMessage validation uses Telegram texts', async () => {
  const chatId = tg.control.userId(4);
  assertTgError(await tg.api('sendMessage', { chat_id: chatId, text: '' }), 400, 'Bad Request: message text is empty');
  assertTgError(await tg.api('sendMessage', { chat_id: chatId, text: '   ' }), 400, 'Bad Request: message text is empty');
  assertTgError(await tg.api('sendMessage', { chat_id: chatId }), 400, 'Bad Request: message text is empty');
  assertTgError(await tg.api('sendMessage', { text: 'x' }), 400, 'Bad Request: chat_id is empty');
  assertTgError(await tg.api('sendMessage', { chat_id: 42, text: 'x' }), 400, 'Bad Request: chat not found');
  assertTgError(await tg.api('sendMessage', { chat_id: '@nobody', text: 'x' }), 400, 'Bad Request: chat not found');
  assertTgError(await tg.api('sendMessage', { chat_id: chatId, text: 'x'.repeat(4097) }), 400, 'Bad Request: message is too long');
  assertTgError(await tg.api('sendMessage', { chat_id: chatId, text: 'x', parse_mode: 'Bold' }), 400, 'Bad Request: unsupported parse_mode');
  assertTgError(await tg.api('sendMessage', { chat_id: chatId, text: 'x', reply_markup: 'not json' }), 400, "Bad Request: can't parse reply keyboard markup JSON object");
  assertTgError(
    await tg.api('sendMessage', { chat_id: chatId, text: 'x', reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'y'.repeat(65) }]] } }),
    400,
    'Bad Request: BUTTON_DATA_INVALID',
  );
  assertTgError(await tg.api('sendMessage', { chat_id: chatId, text: 'x', reply_parameters: { message_id: 999 } }), 400, 'Bad Request: message to be replied not found');
  const lenient = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: chatId, text: 'x', reply_parameters: { message_id: 999, allow_sending_without_reply: true } }));
  assert.equal(lenient.reply_to_message, undefined);
});

test('a chat the bot never saw is unknown when acceptUnseenVirtualChats is off', async () => {
  const strict = await startTelegram({ acceptUnseenVirtualChats: false });
  try {
    const chatId = strict.control.userId(5);
    assertTgError(await strict.api('sendMessage', { chat_id: chatId, text: 'hi' }), 400, 'Bad Request: chat not found');
    strict.control.injectCommand({ user: 5, command: 'start' });
    resultOf(await strict.api('sendMessage', { chat_id: chatId, text: 'hi' }));
  } finally {
    await strict.close();
  }
});

test('editMessageText edits the bot message and refuses what Telegram refuses', async () => {
  const chatId = tg.control.userId(6);
  const sent = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: chatId, text: 'v1', reply_markup: { inline_keyboard: [[{ text: 'B', callback_data: 'b' }]] } }));
  const edited = resultOf<TgMessage>(await tg.api('editMessageText', { chat_id: chatId, message_id: sent.message_id, text: 'v2' }));
  assert.equal(edited.text, 'v2');
  assert.equal(edited.message_id, sent.message_id);
  assert.equal(typeof edited.edit_date, 'number');
  assert.equal(edited.reply_markup, undefined, 'an edit without reply_markup drops the keyboard');
  assertTgError(
    await tg.api('editMessageText', { chat_id: chatId, message_id: sent.message_id, text: 'v2' }),
    400,
    /^Bad Request: message is not modified: specified new message content and reply markup are exactly the same/,
  );
  assertTgError(await tg.api('editMessageText', { chat_id: chatId, message_id: 9999, text: 'v3' }), 400, 'Bad Request: message to edit not found');
  assertTgError(await tg.api('editMessageText', { chat_id: chatId, message_id: sent.message_id, text: '' }), 400, 'Bad Request: message text is empty');
  const userMessage = tg.control.injectMessage({ user: 6, text: 'mine' });
  assertTgError(await tg.api('editMessageText', { chat_id: chatId, message_id: userMessage.message_id, text: 'x' }), 400, "Bad Request: message can't be edited");
});

test('answerCallbackQuery answers once, within its time; unknown ids are refused', async () => {
  const chatId = tg.control.userId(7);
  resultOf(await tg.api('sendMessage', { chat_id: chatId, text: 'pick', reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] } }));
  const press = tg.control.injectCallbackQuery({ user: 7, data: 'yes' });
  assert.ok(press.callback_query_id);
  assert.equal(resultOf<boolean>(await tg.api('answerCallbackQuery', { callback_query_id: press.callback_query_id, text: 'Saved' })), true);
  const tooOld = 'Bad Request: query is too old and response timeout expired or query ID is invalid';
  assertTgError(await tg.api('answerCallbackQuery', { callback_query_id: press.callback_query_id }), 400, tooOld);
  assertTgError(await tg.api('answerCallbackQuery', { callback_query_id: 'no-such-query' }), 400, tooOld);
  const late = tg.control.injectCallbackQuery({ user: 7, data: 'yes' });
  await sleep(400);
  assertTgError(await tg.api('answerCallbackQuery', { callback_query_id: late.callback_query_id }), 400, tooOld);
});

test('callback_query updates carry the message they belong to', async () => {
  const chatId = tg.control.userId(8);
  const sent = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: chatId, text: 'menu', reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } }));
  const press = tg.control.injectCallbackQuery({ user: 8, data: 'go', message_id: sent.message_id });
  const updates = resultOf<{ update_id: number; callback_query?: { id: string; data: string; message: TgMessage; from: TgUser; chat_instance: string } }[]>(
    await tg.api('getUpdates', { offset: press.update_id }),
  );
  const query = updates.find((u) => u.update_id === press.update_id)?.callback_query;
  assert.ok(query);
  assert.equal(query.id, press.callback_query_id);
  assert.equal(query.data, 'go');
  assert.equal(query.from.id, chatId);
  assert.equal(query.message.message_id, sent.message_id);
  assert.deepEqual(query.message.reply_markup, sent.reply_markup);
  assert.equal(typeof query.chat_instance, 'string');
  const nothing = await tg.control$('/updates/callback_query', { user: 9, data: 'go' });
  assert.equal(nothing.status, 409, 'a press needs a message with a keyboard');
});

test('editMessageReplyMarkup, deleteMessage, sendChatAction and setMyCommands work like the real ones', async () => {
  const chatId = tg.control.userId(10);
  const sent = resultOf<TgMessage>(await tg.api('sendMessage', { chat_id: chatId, text: 'k', reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } }));
  const changed = resultOf<TgMessage>(await tg.api('editMessageReplyMarkup', { chat_id: chatId, message_id: sent.message_id, reply_markup: { inline_keyboard: [[{ text: 'B', callback_data: 'b' }]] } }));
  assert.equal(changed.reply_markup?.inline_keyboard[0]?.[0]?.text, 'B');
  assert.equal(resultOf<boolean>(await tg.api('sendChatAction', { chat_id: chatId, action: 'typing' })), true);
  assert.equal(resultOf<boolean>(await tg.api('deleteMessage', { chat_id: chatId, message_id: sent.message_id })), true);
  assertTgError(await tg.api('deleteMessage', { chat_id: chatId, message_id: sent.message_id }), 400, 'Bad Request: message to delete not found');
  assert.equal(resultOf<boolean>(await tg.api('setMyCommands', { commands: [{ command: 'start', description: 'Start' }] })), true);
});
