/* DelayDesk storefront delay banner. No dependencies. Embed:
   <script src="API/banner.js" data-merchant="MERCHANT_ID" async></script>
   Optional: data-api (default: where this file came from), data-locale (default: the page's lang),
   data-target (a CSS selector to render into; default: the top of <body>). */
(function () {
  var s = document.currentScript;
  if (!s || !window.fetch) return;
  var d = s.dataset, m = d.merchant;
  if (!m) return;
  var api = d.api || s.src.replace(/\/banner\.js(\?.*)?$/, "");
  var lang = d.locale || document.documentElement.lang || navigator.language || "";
  var key = "delaydesk-banner:" + m;
  fetch(api + "/banner/" + encodeURIComponent(m) + "?locale=" + encodeURIComponent(lang), { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (b) {
      var msgs = b && b.messages;
      if (!msgs || !msgs.length) return;
      var sig = msgs.map(function (x) { return x.id + "|" + x.text; }).join("\n");
      try { if (sessionStorage.getItem(key) === sig) return; } catch (e) {}
      var box = document.createElement("div"), p, btn, t = b.labels || {};
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", t.label || "Shipping notice");
      box.setAttribute("lang", b.locale);
      box.className = "delaydesk-banner";
      box.style.cssText = "box-sizing:border-box;display:flex;align-items:flex-start;gap:12px;width:100%;" +
        "margin:0;padding:12px 16px;background:#fff4d6;color:#3b2a00;border-bottom:2px solid #8a5a00;" +
        "font:16px/1.5 system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;overflow-wrap:anywhere";
      var list = document.createElement("div");
      list.setAttribute("role", "status");
      list.style.cssText = "flex:1;min-width:0";
      msgs.forEach(function (x) {
        p = document.createElement("p");
        p.style.margin = "0";
        p.textContent = x.text;
        list.appendChild(p);
      });
      btn = document.createElement("button");
      btn.type = "button";
      btn.setAttribute("aria-label", t.dismiss || "Dismiss");
      btn.textContent = "\u00d7";
      btn.style.cssText = "flex:none;min-width:44px;min-height:44px;margin:-8px 0;padding:0;border:0;" +
        "border-radius:4px;background:transparent;color:#3b2a00;font-size:28px;line-height:1;cursor:pointer";
      btn.onfocus = function () { btn.style.outline = "3px solid #1a4fd6"; btn.style.outlineOffset = "-3px"; };
      btn.onblur = function () { btn.style.outline = ""; };
      function close() {
        try { sessionStorage.setItem(key, sig); } catch (e) {}
        box.remove();
      }
      btn.onclick = close;
      box.onkeydown = function (e) { if (e.key === "Escape") close(); };
      box.appendChild(list);
      box.appendChild(btn);
      function show() {
        var target = d.target && document.querySelector(d.target);
        if (target) target.appendChild(box); else document.body.insertBefore(box, document.body.firstChild);
      }
      if (document.body) show(); else document.addEventListener("DOMContentLoaded", show);
    })
    .catch(function () {});
})();
