/* The leaders' dashboard: draws each figure of the JSON block #stats-data with Chart.js
   (served from our own static files) into its <canvas data-chart="key">; a click on a bar or
   a slice opens the list of documents behind it. Also: the report's download button says the
   file is being made. No inline handlers: the CSP forbids them. */
(function () {
  "use strict";
  var PALETTE = ["#2f6fb0", "#e0802f", "#3a9a5b", "#c8423b", "#7d5ba6", "#8c6d3f",
                 "#d36fa8", "#6f7f8f", "#b5b83a", "#2fb3c0"];
  // Processing statuses keep their meaning in colour on every chart.
  var STATUS = {on_time: "#3a9a5b", late: "#e0a030", in_time: "#2f6fb0", overdue: "#c8423b"};
  var numberFormat = new Intl.NumberFormat("vi-VN");

  function colour(series, index) {
    return STATUS[series.key] || PALETTE[index % PALETTE.length];
  }

  function config(figure) {
    var round = figure.kind === "doughnut";
    var horizontal = figure.kind === "hbar";
    var stacked = figure.kind === "stacked";
    var datasets = figure.series.map(function (series, index) {
      return {
        label: series.label,
        data: series.data,
        backgroundColor: round ? series.data.map(function (_v, i) {
          return PALETTE[i % PALETTE.length];
        }) : colour(series, index),
        links: series.links
      };
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: "vi-VN",
      plugins: {legend: {display: round || figure.series.length > 1, position: "bottom"}},
      onClick: function (_event, elements, chart) {
        if (!elements.length) { return; }
        var hit = elements[0];
        var link = chart.data.datasets[hit.datasetIndex].links[hit.index];
        if (link) { window.location.href = link; }
      },
      onHover: function (event, elements) {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      }
    };
    if (!round) {
      options.indexAxis = horizontal ? "y" : "x";
      options.scales = {
        x: {stacked: stacked, ticks: horizontal ? {precision: 0} : {autoSkip: true}},
        y: {stacked: stacked, beginAtZero: true, ticks: {precision: 0}}
      };
    }
    return {type: round ? "doughnut" : "bar", data: {labels: figure.labels, datasets: datasets},
            options: options};
  }

  function draw() {
    var source = document.getElementById("stats-data");
    if (!source || typeof Chart === "undefined") { return; }
    Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
    Chart.defaults.plugins.tooltip.callbacks.label = function (item) {
      return " " + (item.dataset.label || "") + ": " + numberFormat.format(item.raw);
    };
    JSON.parse(source.textContent).forEach(function (figure) {
      var canvas = document.querySelector('canvas[data-chart="' + figure.key + '"]');
      if (canvas) {
        canvas.chart = new Chart(canvas, config(figure));
        canvas.setAttribute("data-drawn", "true");
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".xlsx-download");
    if (button && !button.classList.contains("disabled")) {
      var label = button.innerHTML;
      button.classList.add("disabled");
      button.textContent = button.getAttribute("data-busy");
      setTimeout(function () {
        button.classList.remove("disabled");
        button.innerHTML = label;
      }, 3000);
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
