// docker/grafana/dashboards/osc.json read as the tests need it: its panels, every query, and a query with
// Grafana's template variables replaced the way Grafana would before it sends the query to Prometheus.
import { readFileSync } from 'node:fs';

export interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly datasource?: { readonly uid?: string };
}
export interface Panel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly gridPos?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly uid?: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
export interface Dashboard {
  readonly uid?: string;
  readonly title?: string;
  readonly panels?: readonly Panel[];
  readonly templating?: {
    readonly list?: readonly { readonly name?: string; readonly query?: { readonly query?: string } | string }[];
  };
}

export const DOCKER_DIR = new URL('../../docker/', import.meta.url);

export const dashboard = JSON.parse(
  readFileSync(new URL('grafana/dashboards/osc.json', DOCKER_DIR), 'utf8'),
) as Dashboard;

/** Panels, including those nested in collapsed rows. */
export function allPanels(panels: readonly Panel[] = dashboard.panels ?? []): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

export interface DashboardQuery {
  /** The panel's title, or `variable <name>` for a template variable's query. */
  readonly panel: string;
  readonly expr: string;
  readonly variable: boolean;
}

/** Every panel target's expression, then every template variable's query (`label_values(...)`). */
export function dashboardQueries(): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of allPanels())
    for (const t of p.targets ?? []) out.push({ panel: p.title ?? '?', expr: t.expr ?? '', variable: false });
  for (const v of dashboard.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    out.push({ panel: `variable ${v.name ?? '?'}`, expr: q, variable: true });
  }
  return out;
}

export interface GrafanaContext {
  /** Template variables by name, as Grafana would put them in (the value, or `.*` for "All"). */
  readonly variables: Readonly<Record<string, string>>;
  /** `$__interval` and `$__rate_interval` (Grafana: max($__interval + scrape interval, 4 x scrape interval)). */
  readonly interval: string;
  readonly rateInterval: string;
  readonly range: string;
}

/**
 * The expression with `$name`, `${name}` and `[[name]]` replaced, and Grafana's `$__interval`, `$__rate_interval`
 * and `$__range`; throws when a `$` is left that nothing replaced (a variable the context does not know).
 */
export function grafanaSubstitute(expr: string, ctx: GrafanaContext): string {
  const builtins: Record<string, string> = {
    __rate_interval: ctx.rateInterval,
    __interval: ctx.interval,
    __range: ctx.range,
  };
  const value = (name: string): string => {
    const v = builtins[name] ?? ctx.variables[name];
    if (v === undefined) throw new Error(`no value for $${name} in: ${expr}`);
    return v;
  };
  return expr.replace(/\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g, (_m, a?: string, b?: string, c?: string) =>
    value(a ?? b ?? c ?? ''),
  );
}

/** `label_values(<selector>, <label>)`, the one Grafana-only function the variables use; null for anything else. */
export function parseLabelValues(expr: string): { readonly selector: string; readonly label: string } | null {
  const m = /^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$/.exec(expr);
  return m === null ? null : { selector: m[1] as string, label: m[2] as string };
}
