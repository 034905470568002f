import { gunzipSync } from "node:zlib";

/**
 * Reads one file out of an npm tarball (.tgz: gzip around ustar, with pax headers for long names),
 * without unpacking the rest. Returns undefined when the tarball has no such file.
 */
export function fileInTarball(tgz: Buffer, wanted: string): Buffer | undefined {
  const tar = gunzipSync(tgz);
  let longName: string | undefined;
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const text = (from: number, len: number) => header.subarray(from, from + len).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(text(124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = text(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(0, 100)}` : text(0, 100));
    const body = tar.subarray(at + 512, at + 512 + size);
    longName = undefined;
    if (type === "x") {
      // A pax header: `<len> path=<name>\n` records, for the entry that follows.
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"));
      if (m) longName = m[1];
    } else if ((type === "0" || type === "\0") && name === wanted) {
      return Buffer.from(body);
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
