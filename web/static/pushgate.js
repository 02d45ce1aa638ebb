// pushgate's only script, loaded by every page; every page works without it.
// It draws the charts with plotly.js (which the app serves itself, /vendor/plotly.min.js, on
// the pages that have charts) in place of their words, and gives the keyboard a few keys:
// "/" goes to the search box, "j" and "k" move through the rows of the page's lists (the
// blocking list and the features table), Enter opens the row's first link, and "t" triages the
// row: on a flight's page it opens the form of the row's failure cluster, on a cluster's page it
// puts the row's job and testid in the form (or goes to the sign-in, when one is needed). The headings of a
// table marked data-sortable sort the rows shown by that column (numbers as numbers, then text;
// a cell's data-sort, when it has one, is what it sorts by), the most first on the first click.
(function () {
  "use strict";

  if (window.Plotly) {
    document.querySelectorAll(".chart[data-figure]").forEach(function (element) {
      var figure = JSON.parse(element.dataset.figure);
      element.parentElement.classList.add("drawn"); // shown first, so that plotly sees its width
      Plotly.newPlot(element, figure.data, figure.layout, { displaylogo: false, responsive: true });
    });
  }

  function key(row, column) {
    var cell = row.children[column];
    var text = cell ? (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent) : "";
    var number = parseFloat(text.replace(/[%,]/g, ""));
    return { text: text.trim().toLowerCase(), number: /^\s*-?[\d.,]+%?\s*$/.test(text) ? number : NaN };
  }

  function blank(k) {
    return isNaN(k.number) && !k.text;
  }

  function compare(a, b, sign) {
    // Blanks last whichever the direction; numbers before text.
    if (blank(a) || blank(b)) return (blank(a) ? 1 : 0) - (blank(b) ? 1 : 0);
    if (isNaN(a.number) !== isNaN(b.number)) return isNaN(a.number) ? 1 : -1;
    if (!isNaN(a.number)) return sign * (a.number - b.number);
    return sign * (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
  }

  function sortBy(table, heading) {
    var column = Array.prototype.indexOf.call(heading.parentElement.children, heading);
    var body = table.tBodies[0];
    var descending = heading.getAttribute("aria-sort") !== "descending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      return compare(key(a, column), key(b, column), descending ? -1 : 1);
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
    table.querySelectorAll("thead th").forEach(function (th) {
      th.removeAttribute("aria-sort");
    });
    heading.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (heading) {
      heading.tabIndex = 0;
      heading.classList.add("sortable");
      heading.title = "sort the rows shown by this column";
      heading.addEventListener("click", function () {
        sortBy(table, heading);
      });
      heading.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, heading);
        }
      });
    });
  });

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

  function triage(row, event) {
    if (row.dataset.triage) {
      event.preventDefault();
      window.location.assign(row.dataset.triage);
      return;
    }
    if (!row.dataset.job) {
      return;
    }
    event.preventDefault();
    var form = document.querySelector("form.rule");
    if (!form) {
      var signIn = document.querySelector("#add-rule ~ p a[href]");
      if (signIn) {
        signIn.click();
      } else {
        document.getElementById("add-rule").scrollIntoView();
      }
      return;
    }
    form.elements.job.value = row.dataset.job;
    form.elements.testid.value = row.dataset.testid;
    form.scrollIntoView({ block: "nearest" });
    form.elements.name.focus();
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
    } else if (event.key === "t" && current) {
      triage(current, event);
    } else if (event.key === "Enter" && current && !event.target.closest("a, button, summary")) {
      var link = current.querySelector("a[href]");
      if (link) {
        event.preventDefault();
        link.click();
      }
    }
  });
})();
