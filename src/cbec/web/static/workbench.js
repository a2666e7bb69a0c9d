// The officer workbench: a queue on the left, the selected list on the right, actions with
// a required reason. Keyboard: j/k move, a/r approve/reject (review), c/d/s conform/
// discrepancy/seize (inspection), e/t release/return (detained), 1/2/3 switch queues,
// Ctrl+Enter confirms, Esc cancels.
(function () {
  "use strict";
  // The page's words, in the officer's language (translated by the server).
  var T = JSON.parse(document.getElementById("strings").textContent);
  var bench = document.getElementById("bench");
  var queue = document.getElementById("queue");
  var detail = document.getElementById("detail");
  var dialog = document.getElementById("reason-dialog");
  var form = document.getElementById("reason-form");
  var text = document.getElementById("reason-text");
  var errorBox = document.getElementById("reason-error");
  var toastBox = document.getElementById("toast");
  var which = bench.dataset.queue;
  var pending = null; // the action the dialog is asking a reason for
  var selected = null;

  var ACTIONS = {
    approve: { queue: "review", role: "canReview", title: T.approve, path: "review", body: function (r) { return { approve: true, reason: r }; } },
    reject: { queue: "review", role: "canReview", title: T.reject, path: "review", body: function (r) { return { approve: false, reason: r }; } },
    conform: { queue: "inspection", role: "canInspect", title: T.conform, path: "inspection", body: function (r) { return { result: "conform", details: r }; } },
    discrepancy: { queue: "inspection", role: "canInspect", title: T.discrepancy, path: "inspection", detention: true, body: function (r, d) { return { result: "discrepancy", details: r, detention: Number(d) }; } },
    seize: { queue: "inspection", role: "canInspect", title: T.seize, path: "inspection", body: function (r) { return { result: "seize", details: r }; } },
    release: { queue: "detained", role: "canEndDetention", title: T.release, path: "detention", body: function (r) { return { action: "release", reason: r }; } },
    "return": { queue: "detained", role: "canEndDetention", title: T["return"], path: "detention", body: function (r) { return { action: "return", reason: r }; } }
  };
  var KEYS = { a: "approve", r: "reject", c: "conform", d: "discrepancy", s: "seize", e: "release", t: "return" };
  var ROLE_NEEDED = { review: T.noReviewerRole, inspection: T.noInspectorRole, detention: T.noDetentionRole };

  function items() { return Array.prototype.slice.call(queue.querySelectorAll("li[data-invt]:not(.gone)")); }

  function toast(message, bad) {
    toastBox.textContent = message;
    toastBox.className = "toast show" + (bad ? " bad" : "");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { toastBox.className = "toast"; }, 3500);
  }

  function select(li) {
    if (!li) return;
    items().forEach(function (x) { x.setAttribute("aria-selected", "false"); });
    li.setAttribute("aria-selected", "true");
    li.scrollIntoView({ block: "nearest" });
    selected = li;
    show(li.dataset.invt, li);
  }

  // Load list `invt` into the detail pane (`li`: its row in the queue, if it has one).
  function show(invt, li) {
    history.replaceState(null, "", "/workbench?queue=" + which + "#" + invt);
    detail.setAttribute("aria-busy", "true");
    fetch("/workbench/items/" + encodeURIComponent(invt), { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { location.href = "/login?next=/workbench"; throw new Error("signed out"); }
        if (r.status === 404) { toast(T.noList + " " + invt, true); throw new Error("signed out"); }
        if (r.status === 403) { return r.json().then(function (b) { toast(b.detail || T.refused, true); throw new Error("refused"); }); }
        return r.text();
      })
      .then(function (html) {
        if (li && selected !== li) return; // the officer moved on meanwhile
        detail.innerHTML = html;
        detail.scrollTop = 0;
        detail.removeAttribute("aria-busy");
        detail.querySelectorAll("[data-action]").forEach(function (b) {
          b.addEventListener("click", function () { ask(b.dataset.action); });
        });
      })
      .catch(function (e) { if (e.message !== "signed out") toast(T.couldNotLoad + " " + invt, true); });
  }

  function move(step) {
    var all = items();
    if (all.length === 0) return;
    var i = all.indexOf(selected);
    select(all[Math.min(all.length - 1, Math.max(0, i < 0 ? 0 : i + step))]);
  }

  function ask(name) {
    var action = ACTIONS[name];
    var shown = detail.querySelector("article.item");
    if (!action || !shown || shown.dataset.queue !== action.queue) return;
    if (bench.dataset[action.role] !== "yes") {
      toast(ROLE_NEEDED[action.path], true);
      return;
    }
    pending = { name: name, invt: shown.dataset.invt, li: selected };
    document.getElementById("reason-title").textContent = action.title;
    document.getElementById("reason-list").textContent = shown.dataset.invt;
    document.getElementById("detention-row").hidden = !action.detention;
    errorBox.hidden = true;
    text.value = "";
    dialog.showModal();
    text.focus();
  }

  function submit() {
    var action = ACTIONS[pending.name];
    var reason = text.value.trim();
    if (!reason) {
      errorBox.textContent = T.reasonRequired;
      errorBox.hidden = false;
      text.focus();
      return;
    }
    var li = pending.li;
    var invt = pending.invt;
    var body = action.body(reason, document.getElementById("detention").value);
    fetch("/workbench/items/" + encodeURIComponent(invt) + "/" + action.path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
      .then(function (res) {
        if (!res.ok) {
          var fields = (res.body.fields || []).map(function (f) { return f.path + ": " + f.message; });
          errorBox.textContent = [res.body.detail || T.refused].concat(fields).join(" · ");
          errorBox.hidden = false;
          return;
        }
        dialog.close();
        toast(invt + " → " + res.body.status + " " + res.body.statusText);
        if (!li) { show(invt, null); return; } // a list found by number: show its new state
        var next = li.nextElementSibling || li.previousElementSibling;
        li.classList.add("gone");
        li.setAttribute("aria-selected", "false");
        setTimeout(function () { li.remove(); if (items().length === 0) { document.getElementById("queue-empty").hidden = false; } }, 600);
        var badge = document.getElementById("size-" + which);
        if (badge) badge.textContent = String(Math.max(0, Number(badge.textContent) - 1));
        selected = null;
        if (next && next.dataset.invt) { select(next); } else { detail.innerHTML = '<p class="muted hint"></p>'; detail.firstChild.textContent = T.queueEmpty; }
      })
      .catch(function () { errorBox.textContent = T.networkError; errorBox.hidden = false; });
  }

  var find = document.getElementById("find-input");
  document.getElementById("find").addEventListener("submit", function (e) {
    e.preventDefault();
    var invt = find.value.trim().toUpperCase();
    if (!invt) return;
    var row = queue.querySelector('li[data-invt="' + CSS.escape(invt) + '"]');
    if (row) { select(row); } else {
      items().forEach(function (x) { x.setAttribute("aria-selected", "false"); });
      selected = null;
      show(invt, null);
    }
    find.blur();
  });

  queue.addEventListener("click", function (e) {
    var li = e.target.closest("li[data-invt]");
    if (li) select(li);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  document.getElementById("reason-cancel").addEventListener("click", function () { dialog.close(); });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });
  document.addEventListener("keydown", function (e) {
    if (dialog.open || e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select") return;
    if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "/") { e.preventDefault(); find.focus(); find.select(); }
    else if (e.key === "1") { location.href = "/workbench?queue=review"; }
    else if (e.key === "2") { location.href = "/workbench?queue=inspection"; }
    else if (e.key === "3") { location.href = "/workbench?queue=detained"; }
    else if (KEYS[e.key]) { e.preventDefault(); ask(KEYS[e.key]); }
  });

  var wanted = location.hash.slice(1);
  var first = wanted && queue.querySelector('li[data-invt="' + CSS.escape(wanted) + '"]');
  select(first || items()[0]);
})();
