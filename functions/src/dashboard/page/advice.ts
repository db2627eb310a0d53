/**
 * What a connection state and its last error mean and what to do about them, as the runbook's
 * table says ("Account states and what to do", docs/runbook.md). The page carries that table's
 * text (the build inlines it) and picks the row for each account, so the dashboard and the
 * runbook cannot disagree: change the table, and the page says the new thing.
 *
 * Pure (no DOM): parsed and matched the same in the browser and in the tests.
 */

export interface StateAdvice {
  state: string;
  /**
   * Beginnings of `lastError` the row is about (`logged_out:`, `qr_expired:` …); empty when the
   * row is about the state without a more specific error (its cell starts with "—").
   */
  prefixes: string[];
  generic: boolean;
  /** The cells as plain text; `code` spans keep their backticks, links keep their text. */
  meaning: string;
  action: string;
}

/** The heading of the runbook section whose table this reads. */
export const STATE_TABLE_HEADING = '## Account states and what to do';

/** The table's section of the runbook (from its heading to the next `## `). */
export function stateTableSection(runbook: string): string {
  const start = runbook.indexOf(STATE_TABLE_HEADING);
  if (start < 0) throw new Error(`the runbook has no "${STATE_TABLE_HEADING}" section`);
  const rest = runbook.slice(start + STATE_TABLE_HEADING.length);
  const end = rest.search(/\n## /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The table's rows: `| state | lastError starts with | meaning | what to do |`. */
export function parseStateTable(section: string): StateAdvice[] {
  // The first table line is the header, the second its separator.
  const rows = section
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('|'))
    .slice(2);
  return rows.map((line) => {
    const cells = line
      .slice(1, -1)
      .split(' | ')
      .map((cell) => cell.trim());
    const [state = '', errorCell = '', meaning = '', action = ''] = cells;
    return {
      state: state.replaceAll('`', ''),
      prefixes: codeSpans(errorCell)
        .map((span) => span.split('…')[0]!.trim())
        .filter((prefix) => prefix !== ''),
      generic: errorCell.startsWith('—'),
      meaning: plainText(meaning),
      action: plainText(action),
    };
  });
}

/** The row for `state` and `lastError`: the longest prefix that matches, else the state's generic row. */
export function adviceFor(table: readonly StateAdvice[], state: string, lastError?: string): StateAdvice | undefined {
  const rows = table.filter((row) => row.state === state);
  if (lastError) {
    let best: { row: StateAdvice; length: number } | undefined;
    for (const row of rows) {
      for (const prefix of row.prefixes) {
        if (lastError.startsWith(prefix) && prefix.length > (best?.length ?? 0)) best = { row, length: prefix.length };
      }
    }
    if (best) return best.row;
  }
  return rows.find((row) => row.generic) ?? rows[0];
}

function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

/** Markdown of a table cell as text: links become their text, emphasis markers go. */
function plainText(cell: string): string {
  return cell
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\\\|/g, '|');
}
