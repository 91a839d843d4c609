// ke-papers page: filters and ranks the list that is already in the HTML.
// The ranking is ke_papers/search.py's, on the index the page carries (see render/html.py).
(function () {
  "use strict";
  var doc = document;
  doc.documentElement.className = "js";
  var D = JSON.parse(doc.getElementById("ke-data").textContent);
  var F = D.fields, N = D.papers.length;
  var EXACT = D.quality[0], TYPO = D.quality[1], PREFIX = D.quality[2], SUBSTRING = D.quality[3];
  var LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";
  var avg = {};
  F.forEach(function (f) {
    var sum = 0;
    D.lengths[f].forEach(function (n) { sum += n; });
    avg[f] = Math.max(1, sum / Math.max(1, N));
  });
  var vocabulary = null;
  var memo = new Map();

  function fold(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\u00df/g, "ss");
  }

  function tokens(text) {
    return fold(text).match(/[a-z0-9]+/g) || [];
  }

  function paperAt(f, pos) {
    var starts = D.starts[f], lo = 0, hi = starts.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= pos) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }

  function loadVocabulary() {
    if (vocabulary === null) vocabulary = new Set(D.vocabulary.split(" "));
  }

  function typos(word) {
    if (word.length < D.typoMin) return [];
    loadVocabulary();
    var out = new Set();
    function keep(v) { if (v !== word && vocabulary.has(v)) out.add(v); }
    for (var i = 0; i <= word.length; i++) {
      var left = word.slice(0, i), right = word.slice(i);
      for (var c = 0; c < LETTERS.length; c++) {
        if (right) keep(left + LETTERS[c] + right.slice(1));
        keep(left + LETTERS[c] + right);
      }
      if (right) keep(left + right.slice(1));
      if (right.length > 1) keep(left + right[1] + right[0] + right.slice(2));
    }
    return Array.from(out).sort();
  }

  var ALNUM = /[\p{L}\p{N}]/u;

  // Python's str.isalnum, with a fast path for ASCII.
  function alnum(text, at) {
    var c = text.charCodeAt(at);
    if (c < 128) return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
    return ALNUM.test(text[at]);
  }

  // search.py's quality of the hit of `word` at `pos`: a whole word, a word's start, or
  // inside; a short word counts only whole (0: no hit).
  function quality(text, word, pos) {
    var end = pos + word.length;
    var atStart = pos === 0 || !alnum(text, pos - 1);
    if (atStart && (end === text.length || !alnum(text, end))) return EXACT;
    if (word.length < D.wholeBelow) return 0;
    return atStart && word.length >= D.prefixMin ? PREFIX : SUBSTRING;
  }

  // A one-typo word counts only whole, between characters that are not [a-z0-9].
  var WORD = /[a-z0-9]/;
  function typoQuality(text, word, pos) {
    var end = pos + word.length;
    var whole = (pos === 0 || !WORD.test(text[pos - 1])) && (end === text.length || !WORD.test(text[end]));
    return whole ? TYPO : 0;
  }

  // Every hit of `word` in a field, left to right without overlaps (as re.finditer), into
  // best: paper -> its best quality. Once a paper has the best there is, on to the next.
  function scan(text, f, word, rate, most, best) {
    var starts = D.starts[f], n = starts.length, i = 0, top = best.get(0) || 0, end, q;
    for (var pos = text.indexOf(word); pos !== -1; pos = text.indexOf(word, end)) {
      while (i + 1 < n && starts[i + 1] <= pos) { i++; top = best.get(i) || 0; }
      end = pos + word.length;
      q = rate(text, word, pos);
      if (q > top) { top = q; best.set(i, q); }
      if (top >= most && i + 1 < n) end = Math.max(end, starts[i + 1]);
    }
  }

  // The best quality of `word` in paper i's part of a field's text (0: none).
  function within(text, f, i, word) {
    var starts = D.starts[f];
    var part = text.slice(starts[i], i + 1 < starts.length ? starts[i + 1] - 1 : text.length);
    var best = 0, q, end;
    for (var pos = part.indexOf(word); pos !== -1 && best < EXACT; pos = part.indexOf(word, end)) {
      end = pos + word.length;
      q = quality(part, word, pos);
      if (q > best) best = q;
    }
    return best;
  }

  // For each paper a word touches: the best match quality in each field.
  function qualities(word) {
    if (memo.has(word)) return memo.get(word);
    var found = new Map();
    var near = typos(word);
    // A paper holding "know" holds "kno": typing on, only the last word's papers are read.
    // (Not after a short word: it matched whole words only.)
    var fewer = word.length > D.wholeBelow ? memo.get(word.slice(0, -1)) : null;
    if (fewer && fewer.size * 8 > N) fewer = null;
    F.forEach(function (f) {
      var text = D.text[f], best = new Map();
      if (fewer) {
        fewer.forEach(function (_, i) {
          var q = within(text, f, i, word);
          if (q) best.set(i, q);
        });
      } else {
        scan(text, f, word, quality, EXACT, best);
      }
      near.forEach(function (typo) { scan(text, f, typo, typoQuality, TYPO, best); });
      best.forEach(function (quality, i) {
        var per = found.get(i);
        if (!per) found.set(i, (per = {}));
        per[f] = quality;
      });
    });
    memo.set(word, found);
    return found;
  }

  function score(i, per) {
    var total = 0;
    F.forEach(function (f) {
      if (!(f in per)) return;
      var damping = D.damping[f] || 0, length = D.lengths[f][i] / avg[f];
      total += D.weights[f] * per[f] / (1 - damping + damping * length);
    });
    return total;
  }

  // Positions of the allowed papers matching every word, best first.
  function rank(words, allowed) {
    var scores = new Map(), matched = new Map();
    words.forEach(function (word) {
      var found = qualities(word), df = found.size || 1;
      var idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
      found.forEach(function (per, i) {
        if (!allowed[i]) return;
        scores.set(i, (scores.get(i) || 0) + idf * score(i, per));
        matched.set(i, (matched.get(i) || 0) + 1);
      });
    });
    if (words.length > 1) {
      var phrase = words.join(" ");
      ["title", "keywords"].forEach(function (f) {
        var text = D.text[f], hit = new Set();
        for (var pos = text.indexOf(phrase); pos !== -1; pos = text.indexOf(phrase, pos + phrase.length)) {
          hit.add(paperAt(f, pos));
        }
        hit.forEach(function (i) { if (scores.has(i)) scores.set(i, scores.get(i) + D.phrase); });
      });
    }
    var out = [];
    matched.forEach(function (n, i) { if (n === words.length) out.push(i); });
    return out.sort(function (a, b) { return scores.get(b) - scores.get(a) || a - b; });
  }

  // The page's state <-> the controls and the address (#q=rome&section=...).
  var $ = function (id) { return doc.getElementById(id); };
  var q = $("q"), from = $("from"), to = $("to"), venue = $("venue"), code = $("code");
  var order = $("order"), empty = $("empty");
  var status = $("status"), results = $("results"), list = $("list");
  var treeLinks = Array.from(doc.querySelectorAll("a[data-section]"));
  var section = "";
  var KEYS = ["q", "section", "from", "to", "venue", "code", "order"];
  var LIMIT = 30;
  // The address follows the view once typing pauses (replaceState is slow on a big page).
  var HASH_DELAY = 250, hashTimer = 0;

  function state() {
    return { q: q.value, section: section, from: from.value, to: to.value, venue: venue.value,
      code: code.checked ? "1" : "", order: order.value };
  }

  function setState(s) {
    q.value = s.q || "";
    from.value = s.from || "";
    to.value = s.to || "";
    venue.value = s.venue || "";
    if (venue.value !== (s.venue || "")) venue.value = "";
    code.checked = s.code === "1";
    order.value = s.order === "new" ? "new" : "";
    setSection(s.section || "");
  }

  function setSection(path) {
    section = D.sections.indexOf(path) > 0 ? path : "";
    treeLinks.forEach(function (a) {
      if (a.getAttribute("data-section") === section) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
    });
  }

  function fromHash() {
    var hash = location.hash.slice(1), s = {};
    if (hash.indexOf("=") < 0) return null;
    new URLSearchParams(hash).forEach(function (v, k) { s[k] = v; });
    return s;
  }

  function toHash(s) {
    var p = new URLSearchParams();
    KEYS.forEach(function (k) { if (s[k]) p.set(k, s[k]); });
    var text = p.toString().replace(/\+/g, "%20");
    var url = location.pathname + location.search + (text ? "#" + text : "");
    if (url !== location.pathname + location.search + location.hash) history.replaceState(null, "", url);
  }

  // Sections: each one's number -> the numbers of it and its ancestors.
  var lineage = D.sections.map(function (path) {
    var up = [];
    D.sections.forEach(function (other, n) {
      if (n && (path === other || path.indexOf(other + " > ") === 0)) up.push(n);
    });
    return up;
  });

  function allowedBy(s) {
    var low = parseInt(s.from, 10), high = parseInt(s.to, 10);
    var within = s.section ? D.sections.indexOf(s.section) : 0;
    var allowed = new Uint8Array(N);
    for (var i = 0; i < N; i++) {
      var p = D.papers[i], year = p[0];
      allowed[i] = (!(low >= 0) || (year && year >= low)) && (!(high >= 0) || (year && year <= high)) &&
        (!s.code || p[1]) && (!s.venue || p[3] === s.venue) &&
        (!within || lineage[p[2]].indexOf(within) >= 0) ? 1 : 0;
    }
    return allowed;
  }

  var items = [];
  doc.querySelectorAll("#list li.paper").forEach(function (li) { items[+li.getAttribute("data-i")] = li; });
  var sectionEls = Array.from(list.querySelectorAll("section.sec"));
  var more = $("more"), ranked = [], listed = null;

  // A ranked result is a copy of the paper's entry (the list itself is never rearranged),
  // with its own ids; the first LIMIT are drawn, the rest on asking.
  var copies = new Map();
  function copyOf(i) {
    var li = copies.get(i);
    if (li) return li;
    li = items[i].cloneNode(true);
    li.removeAttribute("id");
    li.hidden = false;
    li.querySelector(".title").id = "r" + i;
    li.querySelector("button.copy").setAttribute("aria-describedby", "r" + i);
    copies.set(i, li);
    return li;
  }

  function show(el, on) {
    if (el.hidden === on) el.hidden = !on;
  }

  function drawResults(count) {
    results.replaceChildren.apply(results, ranked.slice(0, count).map(copyOf));
    show(more, ranked.length > count);
    more.textContent = "Show all " + ranked.length + " matches";
  }

  function showList(allowed) {
    var visible = new Uint32Array(D.sections.length), shown = 0;
    for (var i = 0; i < N; i++) {
      var hide = !allowed[i];
      if (items[i].hidden !== hide) items[i].hidden = hide;
      if (!hide) {
        shown++;
        lineage[D.papers[i][2]].forEach(function (n) { visible[n]++; });
      }
    }
    sectionEls.forEach(function (el) {
      var hide = !visible[+el.getAttribute("data-s")];
      if (el.hidden !== hide) el.hidden = hide;
    });
    return shown;
  }

  // Newest first: by year and month, the list's order among equals.
  function newest(positions) {
    return positions.slice().sort(function (a, b) {
      var x = D.papers[a], y = D.papers[b];
      return (y[0] * 100 + y[4]) - (x[0] * 100 + x[4]) || a - b;
    });
  }

  var ALL = new Uint8Array(N).fill(1);
  var treeCounts = treeLinks.map(function (a) { return a.querySelector(".n"); });
  var venueOptions = Array.from(venue.options).slice(1);
  var codeCount = $("code-n");

  // The counts beside each section, venue and "has code" say how many papers the search
  // and the other filters leave there.
  function recount(s, words) {
    var hit = words.length ? new Uint8Array(N) : ALL;
    if (words.length) rank(words, ALL).forEach(function (i) { hit[i] = 1; });
    function left(change) {
      var t = Object.assign({}, s, change), a = allowedBy(t);
      for (var i = 0; i < N; i++) a[i] = a[i] && hit[i];
      return a;
    }
    var bySection = new Uint32Array(D.sections.length), a = left({ section: "" }), i;
    for (i = 0; i < N; i++) if (a[i]) lineage[D.papers[i][2]].forEach(function (n) { bySection[n]++; });
    var all = a.reduce(function (x, y) { return x + y; }, 0);
    treeLinks.forEach(function (link, k) {
      var n = D.sections.indexOf(link.getAttribute("data-section"));
      treeCounts[k].textContent = "(" + (n > 0 ? bySection[n] : all) + ")";
    });
    var byVenue = new Map();
    a = left({ venue: "" });
    for (i = 0; i < N; i++) if (a[i]) byVenue.set(D.papers[i][3], (byVenue.get(D.papers[i][3]) || 0) + 1);
    venueOptions.forEach(function (o) { o.textContent = o.value + " (" + (byVenue.get(o.value) || 0) + ")"; });
    a = left({ code: "" });
    var withCode = 0;
    for (i = 0; i < N; i++) if (a[i] && D.papers[i][1]) withCode++;
    codeCount.textContent = "(" + withCode + ")";
    return hit;
  }

  // The chart's bars: the papers per year of what is shown.
  var chart = doc.querySelector(".chart svg");
  function redraw(positions) {
    if (!chart) return;
    var per = new Map(), top = 1;
    var plot = +chart.getAttribute("data-plot"), base = +chart.getAttribute("data-base");
    positions.forEach(function (i) { var y = D.papers[i][0]; if (y) per.set(y, (per.get(y) || 0) + 1); });
    per.forEach(function (n) { top = Math.max(top, n); });
    chart.querySelectorAll("g.bar").forEach(function (g) {
      var n = per.get(+g.getAttribute("data-year")) || 0, h = n * plot / top;
      var rect = g.querySelector("rect"), label = g.querySelector("text");
      rect.setAttribute("y", (base - h).toFixed(1));
      rect.setAttribute("height", h.toFixed(1));
      rect.querySelector("title").textContent = g.getAttribute("data-year") + ": " + n;
      label.setAttribute("y", (base - h - 4).toFixed(1));
      label.textContent = n ? String(n) : "";
    });
    doc.querySelectorAll(".chart tbody tr").forEach(function (tr) {
      tr.lastChild.textContent = String(per.get(+tr.getAttribute("data-year")) || 0);
    });
  }

  // Words of the page close to one that found nothing (one or two letters apart), each of
  // which finds a paper within the filters.
  // Edits between two words (a swap of neighbours is one).
  function distance(a, b) {
    var d = [], i, j;
    for (i = 0; i <= a.length; i++) { d.push([i]); for (j = 1; j <= b.length; j++) d[i].push(i ? 0 : j); }
    for (i = 1; i <= a.length; i++) {
      for (j = 1; j <= b.length; j++) {
        d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
    return d[a.length][b.length];
  }
  function suggest(words, allowed) {
    loadVocabulary();
    var out = [];
    words.forEach(function (word) {
      var close = [];
      vocabulary.forEach(function (v) {
        if (Math.abs(v.length - word.length) > 2 || v === word) return;
        var d = distance(word, v);
        if (d <= (word.length > 5 ? 2 : 1)) close.push([d, v]);
      });
      close.sort(function (x, y) { return x[0] - y[0] || (x[1] < y[1] ? -1 : 1); });
      close.forEach(function (c) {
        var query = words.map(function (w) { return w === word ? c[1] : w; }).join(" ");
        if (out.length < 3 && out.indexOf(query) < 0 && rank(tokens(query), allowed).length) out.push(query);
      });
    });
    return out;
  }

  function button(text, action) {
    var b = doc.createElement("button");
    b.type = "button";
    b.className = "btn";
    b.textContent = text;
    b.addEventListener("click", action);
    return b;
  }

  function showEmpty(s, words, hit, allowed) {
    var parts = [], p = doc.createElement("p"), filtered = 0;
    for (var i = 0; i < N; i++) filtered += hit[i];
    p.textContent = words.length
      ? (filtered ? filtered + (filtered === 1 ? " paper matches" : " papers match") + " “" + s.q +
        "”, but not the filters." : "No paper matches “" + s.q + "”.")
      : "No paper passes the filters.";
    parts.push(p);
    var tips = words.length && !filtered ? suggest(words, allowed) : [];
    if (tips.length) {
      var line = doc.createElement("p");
      line.append("Did you mean: ");
      tips.forEach(function (t) {
        line.append(button(t, function () { q.value = t; update(); q.focus(); }), " ");
      });
      parts.push(line);
    }
    var last = doc.createElement("p");
    if (filtered) {
      last.append(button("Clear the filters", function () {
        setState({ q: q.value, order: order.value }); update(); q.focus();
      }), " ");
    }
    last.append(button("Clear search and filters", function () { setState({}); update(); q.focus(); }));
    parts.push(last);
    empty.replaceChildren.apply(empty, parts);
  }

  function apply(s) {
    var words = Array.from(new Set(tokens(s.q))), allowed = allowedBy(s), shown;
    var hit = recount(s, words), visible;
    if (words.length || s.order === "new") {
      if (words.length) ranked = rank(words, allowed);
      else { ranked = []; for (var i = 0; i < N; i++) if (allowed[i]) ranked.push(i); }
      if (s.order === "new") ranked = newest(ranked);
      drawResults(LIMIT);
      shown = ranked.length;
      visible = ranked;
      show(list, false);
      show(results, true);
    } else {
      show(results, false);
      show(more, false);
      results.replaceChildren();
      var key = allowed.join("");
      if (key !== listed) {
        listed = key;
        showList(allowed);
      }
      visible = [];
      for (var k = 0; k < N; k++) if (allowed[k]) visible.push(k);
      shown = visible.length;
      show(list, true);
    }
    redraw(visible);
    show(empty, shown === 0);
    if (shown === 0) showEmpty(s, words, hit, allowed);
    status.textContent = (shown === N ? "" : shown + " of ") + N + (N === 1 ? " paper" : " papers") +
      (shown > 1 ? (s.order === "new" ? ", newest first" : words.length ? ", best match first" : "") : "");
    clearTimeout(hashTimer);
    hashTimer = setTimeout(toHash, HASH_DELAY, s);
  }

  function update() { apply(state()); }

  treeLinks.forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      setSection(a.getAttribute("data-section"));
      update();
    });
  });
  q.addEventListener("input", update);
  [from, to].forEach(function (el) { el.addEventListener("input", update); });
  venue.addEventListener("change", update);
  order.addEventListener("change", update);
  code.addEventListener("change", update);
  doc.querySelector("form.search").addEventListener("submit", function (event) { event.preventDefault(); });
  $("clear").addEventListener("click", function () { setState({}); update(); q.focus(); });
  window.addEventListener("hashchange", function () {
    var s = fromHash();
    if (s) { setState(s); apply(state()); }
  });

  // Copy BibTeX: exactly the text of the entry's <pre>, what `ke-papers cite KEY` prints.
  function copied(button, ok) {
    button.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(function () { button.textContent = "Copy BibTeX"; }, 1500);
  }
  function fallbackCopy(text) {
    var area = doc.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    doc.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = doc.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }
  doc.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy");
    if (!button) return;
    var text = button.closest("li.paper").querySelector("pre").textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { copied(button, true); },
        function () { copied(button, fallbackCopy(text)); });
    } else {
      copied(button, fallbackCopy(text));
    }
  });
  more.addEventListener("click", function () {
    drawResults(ranked.length);
    var next = results.children[LIMIT];
    if (next) next.querySelector("a, button").focus();
  });

  doc.querySelector("form.search").hidden = false;
  $("filters").hidden = false;
  doc.querySelector(".order").hidden = false;
  var panel = doc.querySelector("details.panel");
  if (window.matchMedia("(max-width: 48rem)").matches) panel.open = false;
  setTimeout(loadVocabulary, 0);
  var start = fromHash();
  if (start) setState(start);
  if (start) apply(state());
})();
