/**
 * Azure Functions HTTP routes: `<routePrefix>/<route>` where the route template has literals,
 * `{name}`, optional `{name?}`, constraints `{id:int}` (not checked) and a catch-all `{*rest}`.
 */
export function matchRoute(prefix: string, route: string, path: string): Record<string, string> | undefined {
  const t = [...prefix.split("/"), ...route.split("/")].filter(Boolean);
  const p = path.split("/").filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const catchAll = /^\{\*([^}:?]+)[^}]*\}$/.exec(t[i]);
    if (catchAll) { params[catchAll[1]] = p.slice(i).map(decodeURIComponent).join("/"); return params; }
    const param = /^\{([^}:?]+)(?::[^}?]+)?(\?)?\}$/.exec(t[i]);
    if (i >= p.length) return param?.[2] ? params : undefined;
    if (param) params[param[1]] = decodeURIComponent(p[i]);
    else if (t[i].toLowerCase() !== p[i].toLowerCase()) return undefined;
  }
  return p.length === t.length ? params : undefined;
}
