/**
 * The commands a GitLab job's script lines call, read as a shell reads them closely enough for job
 * scripts: every simple command of every line (after `;`, `&&`, `||`, `|`, inside `$( … )` and in the
 * bodies of `if`, `for` and `while`), with variable assignments and redirections skipped.
 */

/** Words that are shell syntax, not commands. */
const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "case", "esac", "!", "{", "}", "[[", "]]"]);

/** The shell builtins (bash), which no image has to provide. */
export const SHELL_BUILTINS = new Set([
  "cd", "export", "unset", "echo", "printf", "test", "[", "read", "set", "source", ".", "exit", "return", "true", "false", ":", "eval", "exec",
  "trap", "shift", "local", "wait", "command", "type", "pwd", "alias", "declare", "readonly", "ulimit", "umask", "break", "continue",
]);

/** Replaces $( … ) (nested) with a placeholder and returns the inner texts too. */
function extractSubstitutions(line: string): { outer: string; inner: string[] } {
  let outer = "";
  const inner: string[] = [];
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "$" && line[i + 1] === "(" && line[i + 2] !== "(") {
      let depth = 1;
      let j = i + 2;
      for (; j < line.length && depth > 0; j++) {
        if (line[j] === "(") depth++;
        else if (line[j] === ")") depth--;
      }
      inner.push(line.slice(i + 2, j - 1));
      outer += "__SUBST__";
      i = j - 1;
    } else outer += line[i];
  }
  return { outer, inner };
}

/** Commands of one script entry (which may hold several lines). */
export function commandsOf(script: string): string[] {
  const out: string[] = [];
  // Single-quoted text holds no commands.
  const unquoted = script.replace(/'[^']*'/g, "__SQ__");
  const { outer, inner } = extractSubstitutions(unquoted);
  for (const sub of inner) out.push(...commandsOf(sub));
  // Double-quoted text holds none once its substitutions are out.
  const plain = outer.replace(/"(?:[^"\\]|\\.)*"/g, "__DQ__");
  for (const segment of plain.split(/\n|;|&&|\|\||\||&|\(|\)/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    let i = 0;
    while (i < words.length) {
      const w = words[i];
      // A redirection without its target attached (`> file`) takes the next word with it.
      if (/^\d*(?:>>?|<)&?$/.test(w)) {
        i += 2;
        continue;
      }
      if (KEYWORDS.has(w) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || /^\d*[<>]/.test(w)) {
        // `for f in a b c` names no command after `for`.
        if (w === "for" || w === "case") {
          i = words.length;
          break;
        }
        i++;
        continue;
      }
      break;
    }
    if (i < words.length) out.push(words[i]);
  }
  return out;
}

type Job = Record<string, unknown>;

/** Every script line of a job: before_script, script and after_script. */
export function scriptLinesOf(job: Job): string[] {
  return ["before_script", "script", "after_script"].flatMap((k) => {
    const v = job[k];
    return Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : [];
  });
}
