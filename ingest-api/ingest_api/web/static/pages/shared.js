// A share link opened by anyone, with no account: the link is the permission.
import { api, header, notice } from "/static/api.js";
import { picture } from "/static/grid.js";

header();
const token = document.getElementById("photo").dataset.token;
try {
  const image = await api(`/v1/shared/${encodeURIComponent(token)}`, { anonymous: true });
  document.getElementById("title").textContent = image.title || "Untitled photo";
  document.getElementById("description").textContent = image.description || "";
  document.getElementById("owner").textContent = `Shared by ${image.owner}`;
  document.getElementById("figure").append(picture(image, "(max-width: 1100px) 100vw, 1100px", { lazy: false }));
} catch (error) {
  document.getElementById("title").textContent = "Link not available";
  notice(error.status === 404 ? "This link has expired or does not exist." : error.message, "error");
}
