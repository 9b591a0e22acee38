/**
 * The typed client's transport: `fetch` only, no other runtime dependency, so
 * the folder can be copied into any TypeScript project (Node 18+, browsers,
 * mini-program build steps). The endpoint methods are generated into
 * ./roomservice.ts from the same definitions as the server.
 */

export type RoomType = 'double_room' | 'multi_room' | 'live_room';

/** A signed-in user: what `login` answered. Sent in the query of every room action. */
export interface Session {
  userID: string;
  token: string;
}

/** Any answer whose `code` is not 0 (or that is not the protocol's envelope at all). */
export class RoomServiceError extends Error {
  constructor(
    /** The protocol's result code (docs/api.md); the HTTP status when the answer had none. */
    readonly code: number,
    message: string,
    readonly status: number,
    readonly action: string,
    /** The whole answer (`requestId` names it in the server's logs). */
    readonly body: Record<string, unknown>,
  ) {
    super(`${action}: ${message} (code ${code})`);
    this.name = 'RoomServiceError';
  }
}

export interface ClientOptions {
  /** e.g. http://127.0.0.1:5757 (npm start) or the Function URL of the router. */
  baseUrl: string;
  /** A signed-in session to reuse (else `login` sets one). */
  session?: Session;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
}

export interface Route {
  action: string;
  method: string;
  /** e.g. /weapp/{roomType}/add_pusher */
  path: string;
  roomType: string | undefined;
  session: boolean;
  inputFrom: 'body' | 'query' | 'query+body';
}

export class ClientCore {
  session: Session | undefined;
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.session = options.session;
    this.fetchFn = options.fetch ?? fetch;
  }

  protected async send<R>(route: Route, input: object): Promise<R> {
    const query = new URLSearchParams();
    if (route.session) {
      if (!this.session) throw new RoomServiceError(7, 'not signed in: call login first', 0, route.action, {});
      query.set('userID', this.session.userID);
      query.set('token', this.session.token);
    }
    if (route.inputFrom === 'query') for (const [k, v] of Object.entries(input)) if (v !== undefined) query.set(k, String(v));
    const path = route.path.replace('{roomType}', encodeURIComponent(route.roomType ?? ''));
    const response = await this.fetchFn(`${this.baseUrl}${path}${query.size ? `?${query}` : ''}`, {
      method: route.method,
      ...(route.inputFrom === 'query' ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) }),
    });
    const text = await response.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new RoomServiceError(response.status, `not a JSON answer (HTTP ${response.status}): ${text.slice(0, 100)}`, response.status, route.action, {});
    }
    if (typeof body.code !== 'number') throw new RoomServiceError(response.status, `no code in the answer (HTTP ${response.status})`, response.status, route.action, body);
    if (body.code !== 0) throw new RoomServiceError(body.code, String(body.message ?? ''), response.status, route.action, body);
    // The session follows login and logout, so the next calls need no bookkeeping.
    if (route.action === 'login') this.session = { userID: String(body.userID), token: String(body.token) };
    if (route.action === 'logout') this.session = undefined;
    const { code: _code, message: _message, ...result } = body;
    return result as R;
  }
}
