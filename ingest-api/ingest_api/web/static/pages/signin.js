import { formError, header, signIn, useKey } from "/static/api.js";

header();
const next = new URLSearchParams(location.search).get("next");
const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/photos";

function handle(form, act) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError(form, null);
    try {
      await act(new FormData(form));
      location.assign(target);
    } catch (error) {
      formError(form, error);
    }
  });
}

handle(document.getElementById("signin"), (data) => signIn(data.get("username"), data.get("password")));
handle(document.getElementById("apikey"), (data) => useKey(data.get("key").trim()));
