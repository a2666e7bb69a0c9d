// The monitoring screen: one EventSource on /monitor/events; every "snapshot" event
// carries all the figures, and the page redraws what changed. No reloads, no CDN.
(function () {
  "use strict";
  // The page's words, in the officer's language (translated by the server).
  var T = JSON.parse(document.getElementById("strings").textContent);
  var numbers = new Intl.NumberFormat(T.locale);
  var money = new Intl.NumberFormat(T.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var charts = {};
  var hasCharts = typeof window.echarts !== "undefined";
  var axis = { color: "#8ea3c7" };
  var split = { lineStyle: { color: "#1d3a6b" } };

  function pick(data, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, data);
  }

  function setText(el, text, value) {
    var before = el.dataset.value;
    el.textContent = text;
    el.dataset.value = String(value);
    if (before !== undefined && before !== String(value) && el.tagName === "B") {
      el.classList.remove("bump");
      void el.offsetWidth; // restart the animation
      el.classList.add("bump");
    }
  }

  function counters(data) {
    document.querySelectorAll("[data-count]").forEach(function (el) {
      var v = pick(data, el.dataset.count);
      if (v !== undefined) setText(el, numbers.format(v), v);
    });
    document.querySelectorAll("[data-money]").forEach(function (el) {
      var v = pick(data, el.dataset.money);
      if (v !== undefined) setText(el, "¥" + money.format(Number(v)), v);
    });
  }

  function bars(id, rows, label) {
    var list = document.getElementById(id);
    if (!list) return;
    list.textContent = "";
    if (!rows || rows.length === 0) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = T.nothingYet;
      list.appendChild(none);
      return;
    }
    var top = Math.max.apply(null, rows.map(function (r) { return r.count; })) || 1;
    rows.forEach(function (r) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = label(r);
      name.title = label(r);
      var n = document.createElement("span");
      n.className = "n";
      n.textContent = numbers.format(r.count);
      var bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = Math.max(2, (100 * r.count) / top) + "%";
      li.append(name, n, bar);
      list.appendChild(li);
    });
  }

  function initCharts() {
    if (!hasCharts) {
      document.querySelectorAll(".chart").forEach(function (el) {
        el.innerHTML = '<p class="nochart"></p>';
        el.firstChild.textContent = T.noChartLibrary;
      });
      return;
    }
    charts.throughput = echarts.init(document.getElementById("chart-throughput"));
    charts.throughput.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 30, bottom: 28 },
      legend: { top: 0, textStyle: axis, data: [T.messages, T.decisions] },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: [], axisLabel: axis, axisLine: split },
      yAxis: { type: "value", axisLabel: axis, splitLine: split, minInterval: 1 },
      series: [
        { name: T.messages, type: "bar", barGap: "10%", barMaxWidth: 18, data: [], color: "#38bdf8" },
        { name: T.decisions, type: "bar", barMaxWidth: 18, data: [], color: "#2ee37a" }
      ]
    });
    charts.clearance = echarts.init(document.getElementById("chart-clearance"));
    charts.clearance.setOption({
      animation: false,
      grid: { left: 48, right: 12, top: 16, bottom: 48 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: [], axisLabel: Object.assign({ rotate: 30, fontSize: 11 }, axis), axisLine: split },
      yAxis: { type: "value", axisLabel: axis, splitLine: split, minInterval: 1 },
      series: [{ name: T.lists, type: "bar", data: [], color: "#a78bfa", barMaxWidth: 36 }]
    });
    charts.map = echarts.init(document.getElementById("chart-map"));
    charts.map.setOption({
      tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + numbers.format(p.value || 0) + " " + T.released; } },
      visualMap: {
        min: 0, max: 10, left: 10, bottom: 10, calculable: true, text: [T.more, T.none],
        textStyle: axis, inRange: { color: ["#12305f", "#1f6fd1", "#38bdf8", "#fde047"] }
      },
      series: [{
        name: T.released, type: "map", map: "china", roam: false, zoom: 1.15, top: 40,
        label: { show: false }, emphasis: { label: { show: true, color: "#fff" }, itemStyle: { areaColor: "#f97316" } },
        itemStyle: { areaColor: "#0f2650", borderColor: "#3b5b8f" }, data: []
      }]
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        Object.keys(charts).forEach(function (k) {
          try { charts[k].resize(); } catch (e) { /* redrawn on the next event */ }
        });
      }, 200);
    });
  }

  function drawCharts(s) {
    if (!hasCharts) return;
    charts.throughput.setOption({
      xAxis: { data: s.throughput.minutes },
      series: [{ data: s.throughput.messages }, { data: s.throughput.decisions }]
    });
    charts.clearance.setOption({ xAxis: { data: s.clearanceTime.buckets.map(function (b) { return T.buckets[b] || b; }) }, series: [{ data: s.clearanceTime.counts }] });
    var top = Math.max.apply(null, [10].concat(s.provinces.map(function (p) { return p.value; })));
    charts.map.setOption({
      visualMap: { max: top },
      series: [{ data: s.provinces.map(function (p) { return { name: p.name, value: p.value }; }) }]
    });
  }

  function render(s) {
    counters(s);
    drawCharts(s);
    bars("top-volume", s.topVolume, function (r) { return r.name; });
    bars("top-hits", s.topHits, function (r) { return r.name; });
    var of = document.getElementById("top-hits-of");
    if (of) of.textContent = s.topHitsOf === "rule hits" ? T.ruleHits : T.listsStopped;
    var risk = document.getElementById("risk-panel");
    if (s.riskHits) {
      risk.hidden = false;
      bars("risk-hits", s.riskHits, function (r) { return r.rule; });
    } else {
      risk.hidden = true;
    }
    bars("by-type", Object.keys(s.messages.byType).map(function (k) {
      return { name: k, count: s.messages.byType[k] };
    }), function (r) { return r.name; });
    document.getElementById("live-at").textContent = new Date(s.at).toLocaleTimeString(T.locale, { hour12: false, timeZone: "Asia/Shanghai" }) + " " + T.beijingTime;
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  }

  function live(on, text) {
    document.getElementById("live-dot").className = "dot " + (on ? "on" : "off");
    document.getElementById("live-text").textContent = text;
  }

  initCharts();
  var source = new EventSource("/monitor/events");
  source.addEventListener("snapshot", function (e) { render(JSON.parse(e.data)); live(true, T.live); });
  source.onopen = function () { live(true, T.live); };
  source.onerror = function () {
    live(false, T.reconnecting);
    // Refused (the session ended): the browser will not retry; reloading leads to sign-in.
    if (source.readyState === EventSource.CLOSED) setTimeout(function () { location.reload(); }, 5000);
  };
})();
