// Search: the page's address is the search (`/search?q=…&tag=…`), so a
// search is a link to share. Facets narrow it as links too, with counts.

import { api, header, notice } from "/static/api.js";
import { scroller } from "/static/grid.js";

const PASSED = ["q", "tag", "camera", "from", "to", "near", "within"];
header();
const params = new URLSearchParams(location.search);
const form = document.getElementById("search");
for (const name of ["q", "from", "to", "near", "within"]) {
  if (params.get(name)) form.elements[name].value = params.get(name);
}

function link(change) {
  const next = new URLSearchParams(params);
  change(next);
  return `/search?${next}`;
}

function facetList(title, entries) {
  const box = document.createElement("section");
  box.className = "facet";
  const heading = document.createElement("h2");
  heading.textContent = title;
  const list = document.createElement("ul");
  for (const { label, count, href, active } of entries) {
    const item = document.createElement("li");
    const anchor = document.createElement("a");
    anchor.href = href;
    anchor.textContent = label;
    if (active) anchor.setAttribute("aria-current", "true");
    const badge = document.createElement("span");
    badge.className = "count";
    badge.textContent = count;
    item.append(anchor, " ", badge);
    list.append(item);
  }
  box.append(heading, list);
  return box;
}

function showFacets(facets) {
  const box = document.getElementById("facets");
  box.replaceChildren();
  const tags = params.getAll("tag");
  const toggleTag = (value) => link((next) => {
    next.delete("tag");
    const kept = tags.includes(value) ? tags.filter((t) => t !== value) : [...tags, value];
    for (const tag of kept) next.append("tag", tag);
  });
  const sections = [
    ["Tags", facets.tags, (f) => ({ href: toggleTag(f.value), active: tags.includes(f.value) })],
    ["Cameras", facets.cameras, (f) => ({
      href: link((n) => (params.get("camera") === f.value ? n.delete("camera") : n.set("camera", f.value))),
      active: params.get("camera") === f.value,
    })],
    ["Years", facets.years, (f) => ({
      href: link((n) => { n.set("from", `${f.value}-01-01`); n.set("to", `${f.value}-12-31`); }),
      active: params.get("from") === `${f.value}-01-01`,
    })],
  ];
  for (const [title, values, target] of sections) {
    if (values && values.length) {
      box.append(facetList(title, values.map((f) => ({ label: f.value, count: f.count, ...target(f) }))));
    }
  }
}

if ([...params.keys()].some((k) => PASSED.includes(k))) {
  let first = true;
  scroller(document.getElementById("grid"), document.getElementById("more"), (cursor) => {
    const query = new URLSearchParams();
    for (const name of PASSED) for (const value of params.getAll(name)) if (value) query.append(name, value);
    query.set("limit", "30");
    if (cursor) query.set("cursor", cursor);
    return api(`/v1/search?${query}`);
  }, {
    onPage: (page, shown) => {
      if (first) showFacets(page.facets);
      first = false;
      document.getElementById("empty").hidden = shown > 0;
      document.getElementById("count").textContent = `${shown}${page.next_cursor ? "+" : ""} found`;
    },
    onError: (error) => notice(`${error.message} (${error.code})`, "error"),
  });
}
