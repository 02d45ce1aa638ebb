// Draw every chart of the page with plotly.js, which the app serves itself (/vendor/plotly.min.js).
// The tables of every page work without this script.
document.querySelectorAll(".chart[data-figure]").forEach(function (element) {
  var figure = JSON.parse(element.dataset.figure);
  Plotly.newPlot(element, figure.data, figure.layout, { displaylogo: false, responsive: true });
});
