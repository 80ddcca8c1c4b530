/**
 * Bot API errors: one class carrying the error code, Telegram's description
 * text and the optional `parameters`, plus the texts the simulator uses.
 * The texts are those the real Bot API returns.
 */

export class TelegramApiError extends Error {
  readonly errorCode: number;
  readonly description: string;
  readonly retryAfter: number | undefined;

  constructor(errorCode: number, description: string, retryAfter?: number) {
    super(description);
    this.name = 'TelegramApiError';
    this.errorCode = errorCode;
    this.description = description;
    this.retryAfter = retryAfter;
  }
}

export const TEXT = {
  unauthorized: 'Unauthorized',
  notFound: 'Not Found',
  chatNotFound: 'Bad Request: chat not found',
  chatIdEmpty: 'Bad Request: chat_id is empty',
  textEmpty: 'Bad Request: message text is empty',
  textTooLong: 'Bad Request: message is too long',
  badParseMode: 'Bad Request: unsupported parse_mode',
  badMarkup: "Bad Request: can't parse reply keyboard markup JSON object",
  badButtonData: 'Bad Request: BUTTON_DATA_INVALID',
  badEntities: "Bad Request: can't parse entities JSON object",
  replyNotFound: 'Bad Request: message to be replied not found',
  editNotFound: 'Bad Request: message to edit not found',
  editNotAllowed: "Bad Request: message can't be edited",
  editIdMissing: 'Bad Request: message identifier is not specified',
  notModified:
    'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
  inlineMessageUnsupported: 'Bad Request: MESSAGE_ID_INVALID',
  queryInvalid: 'Bad Request: query is too old and response timeout expired or query ID is invalid',
  blocked: 'Forbidden: bot was blocked by the user',
  kicked: 'Forbidden: bot was kicked from the group chat',
  badJson: "Bad Request: can't parse JSON",
  badWebhookSecret: 'Bad Request: bad webhook: secret token contains unallowed characters',
  conflictOtherPoll: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
  conflictWebhookActive: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
  conflictSetWebhook: 'Conflict: terminated by setWebhook request',
} as const;

export function tooManyRequests(retryAfter: number): TelegramApiError {
  return new TelegramApiError(429, `Too Many Requests: retry after ${retryAfter}`, retryAfter);
}

/** The description used for a forced error when the harness gives none. */
export function defaultDescription(code: number): string {
  switch (code) {
    case 400:
      return 'Bad Request';
    case 401:
      return TEXT.unauthorized;
    case 403:
      return TEXT.blocked;
    case 404:
      return TEXT.notFound;
    case 409:
      return 'Conflict';
    case 420:
      return 'Flood';
    case 500:
      return 'Internal Server Error';
    case 502:
      return 'Bad Gateway';
    case 503:
      return 'Service Unavailable';
    case 504:
      return 'Gateway Timeout';
    default:
      return code >= 500 ? 'Internal Server Error' : 'Bad Request';
  }
}
