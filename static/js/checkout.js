// Double-click protection on the checkout form; the idempotency key makes a repeat harmless anyway.
// A file, not an inline script: the Content-Security-Policy allows scripts from this origin only.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("checkout-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    var button = document.getElementById("place-order");
    setTimeout(function () { button.disabled = true; button.textContent = "Placing order…"; }, 0);
  });
});
