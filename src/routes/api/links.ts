/** Engage hypermedia links; hrefs are paths under the API root of their version. */
export const API = '/api/v2';
export const API_V3 = '/api/v3';

export const link = (rel: string, href: string, method = 'GET') => ({ rel, href, method });

export function pageLinks(path: string, filters: Record<string, string>, page: { offset: number; count: number }, total: number, root = API) {
  const href = (offset: number) => {
    const query = new URLSearchParams(filters);
    query.set('offset', String(offset));
    query.set('count', String(page.count));
    return `${root}${path}?${query.toString()}`;
  };
  const links = [link('self', href(page.offset))];
  if (page.offset + page.count < total) links.push(link('next', href(page.offset + page.count)));
  if (page.offset > 0) links.push(link('previous', href(Math.max(0, page.offset - page.count))));
  return links;
}
