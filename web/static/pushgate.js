// pushgate's only script, loaded by every page; every page works without it.
// It draws the charts with plotly.js (which the app serves itself, /vendor/plotly.min.js, on
// the pages that have charts) in place of their words, and gives the keyboard a few keys:
// "/" goes to the search box, "j" and "k" move through the rows of the page's lists (the
// blocking list and the features table), Enter opens the row's first link.
(function () {
  "use strict";

  if (window.Plotly) {
    document.querySelectorAll(".chart[data-figure]").forEach(function (element) {
      var figure = JSON.parse(element.dataset.figure);
      element.parentElement.classList.add("drawn"); // shown first, so that plotly sees its width
      Plotly.newPlot(element, figure.data, figure.layout, { displaylogo: false, responsive: true });
    });
  }

  var ROWS = "[data-rows] > li, [data-rows] > tbody > tr";
  var current = null;

  function typing(target) {
    return (
      target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    );
  }

  function move(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll(ROWS)).filter(function (row) {
      return row.querySelector("a[href]");
    });
    if (!rows.length) {
      return;
    }
    var at = rows.indexOf(current);
    var next = at < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(Math.max(at + step, 0), rows.length - 1);
    if (current) {
      current.classList.remove("current");
      current.removeAttribute("aria-current");
    }
    current = rows[next];
    current.classList.add("current");
    current.setAttribute("aria-current", "true");
    current.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented || typing(event.target)) {
      return;
    }
    if (event.key === "/") {
      var box = document.getElementById("search-q");
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
    } else if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      move(event.key === "j" ? 1 : -1);
    } else if (event.key === "Enter" && current && !event.target.closest("a, button, summary")) {
      var link = current.querySelector("a[href]");
      if (link) {
        event.preventDefault();
        link.click();
      }
    }
  });
})();
