// One album, in its order: ◀ ▶ buttons (or drag and drop) move a photo, and
// the new order is sent whole.
import { api, header, notice, requireSession } from "/static/api.js";
import { card } from "/static/grid.js";

header();
const grid = document.getElementById("grid");
const albumId = grid.dataset.albumId;

async function saveOrder() {
  const order = [...grid.children].map((item) => item.dataset.id);
  try {
    await api(`/v1/albums/${albumId}/images`, { method: "POST", json: { order } });
    notice("Order saved.");
  } catch (error) {
    notice(`${error.message} (${error.code})`, "error");
  }
}

function mover(item, label, step) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-label", step < 0 ? "Move earlier" : "Move later");
  button.addEventListener("click", () => {
    const other = step < 0 ? item.previousElementSibling : item.nextElementSibling;
    if (!other) return;
    if (step < 0) other.before(item);
    else other.after(item);
    button.focus();
    saveOrder();
  });
  return button;
}

function draggable(item) {
  item.draggable = true;
  item.addEventListener("dragstart", (e) => e.dataTransfer.setData("text/plain", item.dataset.id));
  item.addEventListener("dragover", (e) => e.preventDefault());
  item.addEventListener("drop", (e) => {
    e.preventDefault();
    const moved = grid.querySelector(`[data-id="${CSS.escape(e.dataTransfer.getData("text/plain"))}"]`);
    if (moved && moved !== item) {
      item.before(moved);
      saveOrder();
    }
  });
}

if (requireSession()) {
  try {
    const albums = await api("/v1/albums?limit=100");
    const album = albums.items.find((a) => a.id === albumId);
    if (album) document.getElementById("title").textContent = album.name;
    let cursor = null;
    do {
      const query = new URLSearchParams({ limit: "200" });
      if (cursor) query.set("cursor", cursor);
      const page = await api(`/v1/albums/${albumId}/images?${query}`);
      for (const image of page.items) {
        const item = card(image);
        const tools = document.createElement("span");
        tools.className = "movers";
        tools.append(mover(item, "◀", -1), mover(item, "▶", 1));
        item.append(tools);
        draggable(item);
        grid.append(item);
      }
      cursor = page.next_cursor;
    } while (cursor);
    document.getElementById("empty").hidden = grid.children.length > 0;
  } catch (error) {
    notice(`${error.message} (${error.code})`, "error");
  }
}
