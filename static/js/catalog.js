// Catalog pages. A file, not an inline script: the Content-Security-Policy allows scripts from this origin only.
// Everything here is an enhancement: without JavaScript the filters stay open, sorting has its button and the
// gallery's small pictures open the large ones.
document.addEventListener("DOMContentLoaded", function () {
  // On a phone the filters fold away so the products come first (the summary line opens them again).
  var panel = document.getElementById("filters-panel");
  if (panel && window.matchMedia("(max-width: 52rem)").matches) panel.open = false;

  // Choosing a sort order applies it at once.
  var sort = document.getElementById("sort");
  if (sort) {
    document.getElementById("sort-apply").hidden = true;
    sort.addEventListener("change", function () { sort.form.submit(); });
  }

  // Product page: a small picture shows itself in the large frame.
  var main = document.getElementById("gallery-main");
  document.querySelectorAll("[data-gallery-src]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      main.src = link.dataset.gallerySrc;
      main.alt = link.dataset.galleryAlt;
      document.querySelectorAll("[data-gallery-src]").forEach(function (other) { other.removeAttribute("aria-current"); });
      link.setAttribute("aria-current", "true");
    });
  });
});
