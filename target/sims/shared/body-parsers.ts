/**
 * Request bodies the simulated APIs accept: JSON (an empty body counts as
 * `{}`, as the real services treat a parameterless call) and HTML-form
 * encoding. Anything else reaches the handler as an UnsupportedBodyError so
 * each simulator can answer in its own error shape.
 */
import type { FastifyInstance } from 'fastify';

/** The body could not be read; the simulator turns this into its own 400. */
export class BodyParseError extends Error {
  readonly statusCode = 400;

  constructor(message: string) {
    super(message);
    this.name = 'BodyParseError';
  }
}

/** A content type the simulator does not read (multipart file uploads, for one). */
export class UnsupportedBodyError extends Error {
  readonly statusCode = 415;
  readonly contentType: string;

  constructor(contentType: string) {
    super(`content type ${contentType} is not supported by the simulator`);
    this.name = 'UnsupportedBodyError';
    this.contentType = contentType;
  }
}

/** Replaces the parsers of `scope` (an encapsulated plugin) with the lenient ones above. */
export function useApiBodyParsers(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, {});
      return;
    }
    try {
      done(null, JSON.parse(text) as unknown);
    } catch {
      done(new BodyParseError("can't parse JSON"), undefined);
    }
  });
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
  scope.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.length === 0) {
      done(null, {});
      return;
    }
    done(new UnsupportedBodyError(request.headers['content-type'] ?? 'unknown'), undefined);
  });
}

/** Query-string and body parameters merged (body wins), as the real APIs read them. */
export function mergedParams(query: unknown, body: unknown): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (query && typeof query === 'object') Object.assign(params, query);
  if (body && typeof body === 'object' && !Array.isArray(body)) Object.assign(params, body);
  return params;
}
