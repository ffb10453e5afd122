// The photo grid shared by Photos, Search and albums: a card per image with its
// placeholder shown at once (ThumbHash, else the dominant colour) under a lazy
// <picture> of WebP and JPEG srcsets, and pages fetched by cursor as the end
// of the grid scrolls into view.

import { thumbHashToDataURL } from "/static/vendor/thumbhash.js";

const TYPES = { webp: "image/webp", jpeg: "image/jpeg", avif: "image/avif", png: "image/png" };

function srcset(variants, format) {
  return variants
    .filter((v) => v.format === format)
    .sort((a, b) => a.width - b.width)
    .map((v) => `${v.url} ${v.width}w`)
    .join(", ");
}

function placeholder(image) {
  if (image.placeholder) {
    try {
      const bytes = Uint8Array.from(atob(image.placeholder), (c) => c.charCodeAt(0));
      return `center / cover no-repeat url(${thumbHashToDataURL(bytes)})`;
    } catch {
      /* a malformed hash: fall back to the colour */
    }
  }
  return image.dominant_color || "#ddd";
}

export function altText(image) {
  return image.title || "Untitled photo";
}

// A <picture> for `image` (ImageOut or a search item), sized by `sizes`.
export function picture(image, sizes, { lazy = true } = {}) {
  const element = document.createElement("picture");
  element.className = "shot";
  element.style.background = placeholder(image);
  if (image.width && image.height) element.style.aspectRatio = `${image.width} / ${image.height}`;
  const variants = image.variants || [];
  const jpeg = srcset(variants, "jpeg");
  for (const format of ["avif", "webp"]) {
    const set = srcset(variants, format);
    if (!set) continue;
    const source = document.createElement("source");
    source.type = TYPES[format];
    source.srcset = set;
    source.sizes = sizes;
    element.append(source);
  }
  const img = document.createElement("img");
  img.alt = altText(image);
  if (image.width && image.height) {
    img.width = image.width;
    img.height = image.height;
  }
  if (lazy) img.loading = "lazy";
  img.decoding = "async";
  if (jpeg) {
    img.srcset = jpeg;
    img.sizes = sizes;
    img.src = jpeg.split(" ")[0];
  }
  img.addEventListener("load", () => element.classList.add("loaded"));
  element.append(img);
  return element;
}

export const GRID_SIZES = "(max-width: 480px) 50vw, (max-width: 900px) 33vw, 240px";

export function card(image, { selectable = false } = {}) {
  const item = document.createElement("li");
  item.className = "tile";
  item.dataset.id = image.id;
  if (image.status) item.dataset.status = image.status;
  const link = document.createElement("a");
  link.href = `/images/${image.id}`;
  link.append(picture(image, GRID_SIZES));
  const caption = document.createElement("span");
  caption.className = "caption";
  caption.textContent = altText(image);
  link.append(caption);
  if (image.status && image.status !== "ready") {
    const badge = document.createElement("span");
    badge.className = `badge ${image.status}`;
    badge.textContent = image.status;
    link.append(badge);
  }
  item.append(link);
  if (image.model_tags && image.model_tags.length) {
    const seen = document.createElement("span");
    seen.className = "model-tags";
    seen.title = "What the classifier saw";
    seen.textContent = image.model_tags.map((t) => t.tag).join(", ");
    item.append(seen);
  }
  if (selectable) {
    const label = document.createElement("label");
    label.className = "select";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = image.id;
    box.setAttribute("aria-label", `Select ${altText(image)}`);
    label.append(box);
    item.append(label);
  }
  return item;
}

// Fills `grid` page by page: `fetchPage(cursor)` answers {items, next_cursor}.
export function scroller(grid, sentinel, fetchPage, options = {}) {
  let cursor = null;
  let done = false;
  let busy = false;
  let shown = 0;
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) more();
  }, { rootMargin: "600px" });

  async function more() {
    if (busy || done) return;
    busy = true;
    try {
      const page = await fetchPage(cursor);
      for (const image of page.items) grid.append(card(image, options));
      shown += page.items.length;
      cursor = page.next_cursor;
      done = !cursor;
      options.onPage?.(page, shown);
    } catch (error) {
      done = true;
      options.onError?.(error);
    } finally {
      busy = false;
    }
    if (done) observer.disconnect();
    else if (sentinel.getBoundingClientRect().top < innerHeight + 600) more();
  }
  observer.observe(sentinel);
  more();
}
