// Albums: the visitor's albums, and a form to make one.
import { albumItem, api, header, notice, requireSession } from "/static/api.js";

header();

async function list() {
  const { items } = await api("/v1/albums?limit=100");
  const box = document.getElementById("albums");
  box.replaceChildren();
  box.append(...items.map(albumItem));
  document.getElementById("empty").hidden = items.length > 0;
}

if (requireSession()) {
  const form = document.getElementById("new-album");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/v1/albums", { method: "POST", json: { name: form.elements.name.value } });
      form.reset();
      await list();
    } catch (error) {
      notice(`${error.message} (${error.code})`, "error");
    }
  });
  list().catch((error) => notice(`${error.message} (${error.code})`, "error"));
}
