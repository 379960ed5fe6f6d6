/** Every failure the service reports on purpose, and the HTTP status each maps to. */
const problems = {
  validation: { status: 400, title: 'Invalid request' },
  too_many_items: { status: 400, title: 'Too many items' },
  point_system_inactive: { status: 400, title: 'New point system not active' },
  wrong_mode: { status: 400, title: 'Wrong point mode' },
  levels_need_all_transaction: { status: 400, title: 'Member levels need all-transaction mode' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  not_found: { status: 404, title: 'Not found' },
  not_configured: { status: 404, title: 'Not configured' },
  conflict: { status: 409, title: 'Conflict' },
  request_in_progress: { status: 409, title: 'Request in progress' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  rate_limited: { status: 429, title: 'Too many requests' },
  backlog_full: { status: 429, title: 'Too many items waiting' },
  locked_out: { status: 429, title: 'Too many failed sign-ins' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  idempotency_key_reused: { status: 422, title: 'Idempotency key reused' },
  bad_gateway: { status: 502, title: 'Bad gateway' },
  outbound_refused: { status: 502, title: 'Point master address refused' },
  unavailable: { status: 503, title: 'Service unavailable' },
  gateway_timeout: { status: 504, title: 'Gateway timeout' },
  internal: { status: 500, title: 'Internal server error' },
} as const;

export type ErrorCode = keyof typeof problems;

export interface FieldError {
  /** Where the problem is: `[3].contactId` for the fourth item of a body array, `query.count`, ... */
  path: string;
  /** For people: the end of a sentence starting with the field ("must be at most 100,000"), from the message catalogue. */
  message: string;
  /** For programs: the kind of refusal (the validator's issue code), when a schema refused it. */
  code?: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errors?: FieldError[],
    /** Sent as Retry-After with the problem, for refusals that end by themselves. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get status(): number {
    return problems[this.code].status;
  }

  /** The name Fastify and plugins with error handlers of their own (the queue dashboard) read the status from. */
  get statusCode(): number {
    return this.status;
  }

  get title(): string {
    return problems[this.code].title;
  }
}

export function problemFor(code: ErrorCode) {
  return problems[code];
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
