// Sort and filter the table of flagged lines. Without this script the page shows every row, unsorted.
(function () {
  "use strict";
  var table = document.getElementById("flagged");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("filter");
  var verdict = document.getElementById("verdict");
  var shown = document.getElementById("shown");
  document.querySelector(".controls").hidden = false;

  function apply() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = verdict.value;
    var n = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var show = (!wanted || row.getAttribute("data-verdict") === wanted) &&
        words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !show;
      if (show) { n += 1; }
    });
    shown.textContent = n + " of " + rows.length + " lines shown";
  }

  function key(row, col) {  // amounts sort by data-sort: their minor units as fixed-width digits (no floats)
    var cell = row.cells[col];
    var fixed = cell.getAttribute("data-sort");
    return fixed !== null ? fixed : cell.textContent.trim().toLowerCase();
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = key(a, col), y = key(b, col);
        return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  filter.addEventListener("input", apply);
  verdict.addEventListener("change", apply);
  apply();
}());
