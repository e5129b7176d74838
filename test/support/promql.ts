/**
 * Turns every top-level comparison of a PromQL expression into a `bool` comparison, so an alert
 * expression returns its value (0 or 1) whenever its inputs have data, instead of nothing while the
 * alert is quiet. Operators inside label matchers (`{code!="ok"}`) and strings are left alone.
 */
export function withBoolComparisons(expr: string): string {
  let out = '';
  let braces = 0;
  let quote: string | null = null;
  for (let i = 0; i < expr.length; i += 1) {
    const char = expr[i]!;
    if (quote) {
      out += char;
      if (char === '\\') {
        out += expr[i + 1] ?? '';
        i += 1;
      } else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') {
      quote = char;
      out += char;
      continue;
    }
    if (char === '{') braces += 1;
    if (char === '}') braces -= 1;
    if (braces === 0) {
      const two = expr.slice(i, i + 2);
      const operator = ['>=', '<=', '==', '!='].includes(two) ? two : char === '>' || char === '<' ? char : null;
      if (operator) {
        const rest = expr.slice(i + operator.length);
        out += /^\s*bool\b/.test(rest) ? operator : `${operator} bool`;
        i += operator.length - 1;
        continue;
      }
    }
    out += char;
  }
  return out;
}

/** Grafana's dashboard variables, with the values a 15 s scrape interval would give them. */
export function expandGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '5m');
}

/** Grafana's Postgres macros, expanded as Grafana does for the last hour at one-minute buckets. */
/** Grafana's SQL macros as the Postgres datasource expands them (minute buckets), and the board's `$variables`. */
export function expandSqlMacros(query: string, from: Date, to: Date, variables: Readonly<Record<string, string>> = {}): string {
  let expanded = query;
  // Multi-value variables in Grafana's `:sqlstring` format: a list of quoted literals; unset, the board's
  // "All" value (allValue `__all`), as a fresh board shows it.
  expanded = expanded.replace(/\$\{(\w+):sqlstring\}/g, (_m, name: string) => variables[name] ?? "'__all'");
  for (const [name, value] of Object.entries(variables)) expanded = expanded.replaceAll(`$${name}`, value);
  const range = `'${from.toISOString()}' AND '${to.toISOString()}'`;
  return expanded
    .replace(
      /\$__timeGroupAlias\(([^,]+),\s*\$__interval\)/g,
      (_m, column: string) => `floor(extract(epoch from ${column.trim()})/60)*60 AS "time"`,
    )
    .replace(/\$__timeGroup\(([^,]+),\s*\$__interval\)/g, (_m, column: string) => `floor(extract(epoch from ${column.trim()})/60)*60`)
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, column: string) => `${column.trim()} BETWEEN ${range}`)
    .replaceAll('$__interval_ms', '60000')
    .replaceAll('$__timeFrom()', `'${from.toISOString()}'`)
    .replaceAll('$__timeTo()', `'${to.toISOString()}'`);
}
