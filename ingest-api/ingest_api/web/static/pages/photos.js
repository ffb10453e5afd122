import { api, header, notice, requireSession } from "/static/api.js";
import { scroller } from "/static/grid.js";

header();
if (requireSession()) {
  const grid = document.getElementById("grid");
  scroller(grid, document.getElementById("more"), (cursor) => {
    const query = new URLSearchParams({ limit: "30" });
    if (cursor) query.set("cursor", cursor);
    return api(`/v1/images?${query}`);
  }, {
    selectable: true,
    onPage: (_, shown) => { document.getElementById("empty").hidden = shown > 0; },
    onError: (error) => notice(error.message, "error"),
  });
  albumPicker(grid);
}

// Selected photos go into an album (the album keeps the order they are added in).
async function albumPicker(grid) {
  const { items } = await api("/v1/albums?limit=100");
  if (!items.length) return;
  const select = document.getElementById("album-target");
  for (const album of items) select.append(new Option(album.name, album.id));
  select.closest("label").hidden = false;
  document.getElementById("album-add").addEventListener("click", async () => {
    const chosen = [...grid.querySelectorAll(".select input:checked")].map((box) => box.value);
    if (!chosen.length) return notice("Select photos first.", "error");
    try {
      await api(`/v1/albums/${select.value}/images`, { method: "POST", json: { add: chosen } });
      notice(`Added ${chosen.length} to ${select.selectedOptions[0].text}.`);
      for (const box of grid.querySelectorAll(".select input:checked")) box.checked = false;
    } catch (error) {
      notice(error.message, "error");
    }
  });
}
