/*
 * Starts the vendored Swagger UI on the API reference page. The document's
 * URL comes from data-spec-url on #api-docs, so the page needs no inline
 * script. Nothing is fetched from outside Kite: the online validator badge is
 * off.
 */
(function () {
  "use strict";

  function start() {
    var mount = document.getElementById("api-docs");
    if (!mount) return;
    if (typeof window.SwaggerUIBundle !== "function") {
      mount.textContent = "The API reference could not be loaded.";
      return;
    }
    window.SwaggerUIBundle({
      url: mount.getAttribute("data-spec-url"),
      domNode: mount,
      deepLinking: true,
      validatorUrl: null,
      docExpansion: "list",
      defaultModelsExpandDepth: 1,
      displayRequestDuration: true,
      tryItOutEnabled: false
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
