import { api, formError, header, signIn } from "/static/api.js";

header();
const form = document.getElementById("signup");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  formError(form, null);
  const data = new FormData(form);
  const credentials = { username: data.get("username"), password: data.get("password") };
  try {
    await api("/v1/auth/signup", { method: "POST", json: credentials, anonymous: true });
    await signIn(credentials.username, credentials.password);
    location.assign("/upload");
  } catch (error) {
    formError(form, error);
  }
});
