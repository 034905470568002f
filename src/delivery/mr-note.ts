/**
 * Keeps one merge-request note per pipeline purpose: the note of the token's own user whose body
 * carries the marker is updated in place (PUT), else one is created (POST), so every push replaces the
 * plan summary instead of adding another. Speaks GitLab's REST API v4 with a PRIVATE-TOKEN header; the
 * token is never printed, and no message carries it.
 */
import { GITLAB_NOTE_LIMIT, NOTE_MARKER } from "./plan-summary";

export interface GitlabTarget {
  /** CI_API_V4_URL: `https://gitlab.example.com/api/v4`. */
  readonly apiUrl: string;
  /** CI_PROJECT_ID: the numeric id or the URL-encoded path. */
  readonly projectId: string;
  /** CI_MERGE_REQUEST_IID. */
  readonly mergeRequestIid: string;
  readonly token: string;
}

/** GitLab answered with an error, or could not be reached: one line, without the token. */
export class GitlabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitlabError";
  }
}

interface Note {
  readonly id: number;
  readonly body: string;
  readonly system?: boolean;
  readonly author?: { readonly id: number; readonly username?: string };
}

export type FetchLike = typeof fetch;

export class GitlabNotes {
  constructor(
    private readonly target: GitlabTarget,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  private get notesPath(): string {
    return `/projects/${encodeURIComponent(decodeURIComponent(this.target.projectId))}/merge_requests/${encodeURIComponent(this.target.mergeRequestIid)}/notes`;
  }

  private scrub(text: string): string {
    return this.target.token ? text.split(this.target.token).join("[token]") : text;
  }

  private async request(method: string, path: string, body?: unknown): Promise<{ data: unknown; headers: Headers }> {
    const url = path.startsWith("http") ? path : `${this.target.apiUrl.replace(/\/+$/, "")}${path}`;
    const shown = this.scrub(url.replace(/^https?:\/\/[^/]+/, "").replace(/[?&](private_token|access_token)=[^&]*/g, ""));
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: { "PRIVATE-TOKEN": this.target.token, Accept: "application/json", ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        redirect: "error",
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new GitlabError(this.scrub(`cannot reach GitLab at ${this.target.apiUrl} (${cause?.code ?? cause?.message ?? (err as Error).message})`));
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = "";
      try {
        const j = JSON.parse(text) as { message?: unknown; error?: unknown };
        detail = String(typeof j.message === "string" ? j.message : j.error ?? JSON.stringify(j.message ?? ""));
      } catch {
        detail = text.slice(0, 200);
      }
      const hint =
        res.status === 401
          ? "GITLAB_NOTE_TOKEN is missing, expired or revoked (it needs the api scope)"
          : res.status === 403
            ? "the token's user may not comment on this merge request (it needs at least the Reporter role)"
            : res.status === 404
              ? `no merge request !${this.target.mergeRequestIid} in project ${this.target.projectId} that the token can see (check CI_PROJECT_ID and CI_MERGE_REQUEST_IID)`
              : "";
      throw new GitlabError(this.scrub(`GitLab answered ${res.status} to ${method} ${shown}${detail ? ` (${detail.replace(/\s+/g, " ").slice(0, 200)})` : ""}${hint ? `: ${hint}` : ""}`));
    }
    try {
      return { data: text ? JSON.parse(text) : null, headers: res.headers };
    } catch {
      throw new GitlabError(`GitLab answered ${method} ${shown} with something that is not JSON`);
    }
  }

  /** The token's own user. */
  async me(): Promise<{ id: number; username?: string }> {
    const { data } = await this.request("GET", "/user");
    const u = data as { id?: unknown; username?: unknown };
    if (typeof u?.id !== "number") throw new GitlabError("GitLab's /user answer has no id");
    return { id: u.id, username: typeof u.username === "string" ? u.username : undefined };
  }

  /** Every note of the merge request, page after page (x-next-page, else the Link header's next). */
  async notes(): Promise<Note[]> {
    const all: Note[] = [];
    let next: string | undefined = `${this.notesPath}?per_page=100&page=1&sort=asc&order_by=created_at`;
    for (let pages = 0; next && pages < 1000; pages++) {
      const { data, headers }: { data: unknown; headers: Headers } = await this.request("GET", next);
      if (!Array.isArray(data)) throw new GitlabError("GitLab's notes answer is not a list");
      all.push(...(data as Note[]));
      const nextPage = headers.get("x-next-page");
      const link = /<([^>]+)>;\s*rel="next"/.exec(headers.get("link") ?? "")?.[1];
      next = nextPage ? `${this.notesPath}?per_page=100&page=${encodeURIComponent(nextPage)}&sort=asc&order_by=created_at` : link && this.ownLink(link);
    }
    return all;
  }

  /**
   * A next-page link, only where it stays under CI_API_V4_URL: every request carries the token, so a
   * link elsewhere (an answer tampered with, a proxy's) is refused, never followed.
   */
  private ownLink(link: string): string {
    let url: URL;
    let api: URL;
    try {
      url = new URL(link, this.target.apiUrl);
      api = new URL(this.target.apiUrl);
    } catch {
      throw new GitlabError("GitLab's next-page link is not a URL");
    }
    const base = api.pathname.replace(/\/+$/, "");
    if (url.origin !== api.origin || !url.pathname.startsWith(`${base}/`)) {
      throw new GitlabError(`GitLab's next-page link leads outside ${api.origin}${base} (to ${url.origin}): not followed, since every request carries the token`);
    }
    return url.href;
  }

  async create(body: string): Promise<number> {
    const { data } = await this.request("POST", this.notesPath, { body });
    return (data as Note).id;
  }

  async update(id: number, body: string): Promise<number> {
    const { data } = await this.request("PUT", `${this.notesPath}/${id}`, { body });
    return (data as Note).id;
  }
}

/** The hidden line that names one kind of note: `<!-- apps-platform:<name> -->`. */
export function noteMarker(name = "plan-summary"): string {
  return name === "plan-summary" ? NOTE_MARKER : `<!-- apps-platform:${name} -->`;
}

/** The note body: the summary with the marker as its first line (added when missing). */
export function noteBody(summary: string, marker = NOTE_MARKER): string {
  const body = summary.split(/\r?\n/).some((l) => l.trim() === marker) ? summary : `${marker}\n${summary}`;
  if (body.length > GITLAB_NOTE_LIMIT) {
    throw new GitlabError(`the summary is ${body.length} characters; GitLab takes at most ${GITLAB_NOTE_LIMIT} in a note (write it with npm run plan-summary, which keeps under it)`);
  }
  return body;
}

/** Whether a note is the one this tool keeps: written by the token's user, not a system note, marker on a line of its own. */
export function isOurs(note: Note, me: { id: number }, marker = NOTE_MARKER): boolean {
  return !note.system && note.author?.id === me.id && note.body.split(/\r?\n/).some((l) => l.trim() === marker);
}

export async function upsertNote(client: GitlabNotes, summary: string, marker = NOTE_MARKER): Promise<{ action: "created" | "updated"; id: number }> {
  const body = noteBody(summary, marker);
  const me = await client.me();
  const existing = (await client.notes()).find((n) => isOurs(n, me, marker));
  if (existing) return { action: "updated", id: await client.update(existing.id, body) };
  return { action: "created", id: await client.create(body) };
}
