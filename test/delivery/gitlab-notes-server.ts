import * as http from "node:http";
import { AddressInfo } from "node:net";

/**
 * The part of GitLab's REST API v4 that mr-note uses, as GitLab documents it: GET /user; the notes of
 * a merge request (GET with offset pagination: page, per_page up to 100, and the x-page, x-per-page,
 * x-next-page, x-prev-page, x-total, x-total-pages and Link headers; POST; PUT); a PRIVATE-TOKEN
 * header that names the user, 401 without a known one, 404 for a project or merge request that is not
 * there.
 */
export interface FakeNote {
  id: number;
  body: string;
  system: boolean;
  author: { id: number; username: string };
}

export interface FakeGitlab {
  readonly url: string;
  readonly notes: FakeNote[];
  readonly requests: { method: string; path: string; token?: string }[];
  close(): Promise<void>;
}

export async function startFakeGitlab(opts: {
  project: string;
  mr: number;
  users: Record<string, { id: number; username: string }>;
  notes?: FakeNote[];
  /** Pages linked by the Link header only (keyset pagination, no x-next-page), at this host:port (default this server's). */
  linkOnly?: { host?: string };
}): Promise<FakeGitlab> {
  const notes: FakeNote[] = opts.notes ?? [];
  const requests: FakeGitlab["requests"] = [];
  let nextId = 1000 + notes.length;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const token = req.headers["private-token"] as string | undefined;
      requests.push({ method: req.method ?? "", path: url.pathname + url.search, token });
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "Content-Type": "application/json", ...headers });
        res.end(JSON.stringify(body));
      };
      const user = token ? opts.users[token] : undefined;
      if (!user) return send(401, { message: "401 Unauthorized" });
      if (req.method === "GET" && url.pathname === "/api/v4/user") return send(200, { id: user.id, username: user.username, name: user.username, state: "active" });
      const m = /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/.exec(url.pathname);
      if (!m || decodeURIComponent(m[1]) !== opts.project || Number(m[2]) !== opts.mr) return send(404, { message: "404 Not found" });
      if (req.method === "GET" && !m[3]) {
        const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 20)));
        const page = Math.max(1, Number(url.searchParams.get("page") ?? 1));
        const totalPages = Math.max(1, Math.ceil(notes.length / perPage));
        const base = `http://${opts.linkOnly?.host ?? req.headers.host}${url.pathname}`;
        const link = (p: number, rel: string) => `<${base}?page=${p}&per_page=${perPage}>; rel="${rel}"`;
        const links = [...(page < totalPages ? [link(page + 1, "next")] : []), ...(page > 1 ? [link(page - 1, "prev")] : []), link(1, "first"), link(totalPages, "last")];
        return send(200, notes.slice((page - 1) * perPage, page * perPage), {
          "x-page": String(page),
          "x-per-page": String(perPage),
          "x-next-page": page < totalPages && !opts.linkOnly ? String(page + 1) : "",
          "x-prev-page": page > 1 ? String(page - 1) : "",
          "x-total": String(notes.length),
          "x-total-pages": String(totalPages),
          link: links.join(", "),
        });
      }
      let body: { body?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        return send(400, { message: "400 Bad request" });
      }
      if (typeof body.body !== "string" || body.body === "") return send(400, { error: "body is missing" });
      if (body.body.length > 1_000_000) return send(400, { message: { note: ["is too long (maximum is 1000000 characters)"] } });
      if (req.method === "POST" && !m[3]) {
        const note = { id: ++nextId, body: body.body, system: false, author: user };
        notes.push(note);
        return send(201, note);
      }
      if (req.method === "PUT" && m[3]) {
        const note = notes.find((n) => n.id === Number(m[3]));
        if (!note) return send(404, { message: "404 Note Not Found" });
        if (note.author.id !== user.id) return send(403, { message: "403 Forbidden" });
        note.body = body.body;
        return send(200, note);
      }
      return send(405, { message: "405 Method Not Allowed" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v4`,
    notes,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
