// API keys: create (shown once, to copy), list, revoke.
import { api, formError, header, notice, requireSession } from "/static/api.js";

header();
const tbody = document.getElementById("keys");

function when(value) {
  return value ? new Date(value).toLocaleString() : "never";
}

async function list() {
  const keys = await api("/v1/keys");
  tbody.replaceChildren();
  for (const key of keys) {
    const row = tbody.insertRow();
    row.dataset.id = key.id;
    for (const text of [key.name, `${key.prefix}…`, key.scopes.join(", "), when(key.created_at),
      when(key.last_used_at)]) {
      row.insertCell().textContent = text;
    }
    const cell = row.insertCell();
    if (key.revoked) {
      cell.textContent = "revoked";
    } else {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Revoke";
      button.setAttribute("aria-label", `Revoke ${key.name}`);
      button.addEventListener("click", async () => {
        try {
          await api(`/v1/keys/${key.id}`, { method: "DELETE" });
          notice(`Revoked ${key.name}.`);
          await list();
        } catch (error) {
          notice(`${error.message} (${error.code})`, "error");
        }
      });
      cell.append(button);
    }
  }
}

if (requireSession()) {
  const form = document.getElementById("new-key");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError(form, null);
    const data = new FormData(form);
    try {
      const made = await api("/v1/keys", { method: "POST", json: { name: data.get("name"), scopes: data.getAll("scopes") } });
      document.getElementById("new-key-value").value = made.key;
      document.getElementById("new-key-out").hidden = false;
      form.reset();
      await list();
    } catch (error) {
      formError(form, error);
    }
  });
  document.getElementById("copy-key").addEventListener("click", () =>
    navigator.clipboard?.writeText(document.getElementById("new-key-value").value));
  list().catch((error) => notice(`${error.message} (${error.code})`, "error"));
}
