// The one error type the console's routes throw: an HTTP status and one line for people, naming the
// field or the rule. The error handler (server.ts) turns it into a JSON body or a small HTML page.
export class HttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

export const unauthorized = (what = 'sign in first') => new HttpError(401, what);
export const forbidden = (why: string) => new HttpError(403, why);
export const notFound = (what: string) => new HttpError(404, what);
export const badRequest = (line: string) => new HttpError(400, line);
export const conflict = (line: string) => new HttpError(409, line);
