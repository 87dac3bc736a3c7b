// The polygraph: fetches /api/v1/graph and draws it with cytoscape. Every string from the
// server goes into the page through textContent or cytoscape's canvas, never as HTML.
(function () {
  'use strict';
  var box = document.getElementById('graph');
  if (!box || typeof cytoscape !== 'function') { return; }
  var statusEl = document.getElementById('graph-status');
  var detailEl = document.getElementById('graph-detail');
  var COLORS = {
    principal: '#6c5ce7', key: '#d35400', session: '#8e44ad', ip: '#7f8c8d',
    call: '#2980b9', service: '#1f5fbf', resource: '#16a085', host: '#2c3e50',
    process: '#34495e', connection: '#c0392b', file: '#95a5a6', privilege: '#e67e22', login: '#27ae60'
  };

  function say(text) { if (statusEl) { statusEl.textContent = text; } }

  function showDetail(n) {
    if (!detailEl) { return; }
    while (detailEl.firstChild) { detailEl.removeChild(detailEl.firstChild); }
    var head = document.createElement('strong');
    head.textContent = n.kind + ': ' + n.label;
    detailEl.appendChild(head);
    var body = document.createElement('div');
    body.textContent = n.detail + '\n' + n.count + ' event(s)' + (n['new'] ? ' · new vs baseline' : '') +
      (n.evidence ? ' · alert evidence' : '');
    detailEl.appendChild(body);
    (n.events || []).forEach(function (e) {
      var a = document.createElement('a');
      a.href = '/events/' + encodeURIComponent(e.source) + '/' + encodeURIComponent(e.id);
      a.textContent = 'event ' + e.id;
      a.className = 'event-link';
      detailEl.appendChild(a);
      detailEl.appendChild(document.createTextNode(' '));
    });
  }

  say('loading graph…');
  fetch(box.getAttribute('data-graph-url'), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
    .then(function (r) {
      if (!r.ok) { throw new Error('the server answered ' + r.status); }
      return r.json();
    })
    .then(function (g) {
      var byId = {};
      var elements = g.nodes.map(function (n) {
        byId[n.id] = n;
        var cls = n.kind + (n['new'] ? ' new' : '') + (n.evidence ? ' evidence' : '');
        return { group: 'nodes', data: { id: n.id, label: n.label, kind: n.kind, color: COLORS[n.kind] || '#555' }, classes: cls };
      });
      g.edges.forEach(function (e) {
        elements.push({ group: 'edges', data: { id: e.id, source: e.source, target: e.target, label: e.label }, classes: e['new'] ? 'new' : '' });
      });
      var big = g.nodes.length > 400;
      var roots = g.nodes.filter(function (n) {
        return n.kind === 'principal' || n.kind === 'host' || n.kind === 'ip';
      }).map(function (n) { return n.id; });
      var cy = cytoscape({
        container: box,
        elements: elements,
        wheelSensitivity: 0.3,
        textureOnViewport: big,
        hideEdgesOnViewport: big,
        style: [
          { selector: 'node', style: { 'background-color': 'data(color)', 'label': 'data(label)', 'font-size': 10,
            'text-valign': 'center', 'text-halign': 'right', 'text-margin-x': 4, 'text-wrap': 'ellipsis',
            'text-max-width': 260, 'width': 16, 'height': 16 } },
          { selector: 'node.new', style: { 'border-width': 3, 'border-color': '#e53935' } },
          { selector: 'node.evidence', style: { 'border-width': 4, 'border-style': 'double', 'border-color': '#111' } },
          { selector: 'node.new.evidence', style: { 'border-color': '#e53935' } },
          { selector: 'edge', style: { 'width': 1.2, 'line-color': '#b0b8c4', 'target-arrow-color': '#b0b8c4',
            'target-arrow-shape': 'triangle', 'curve-style': big ? 'haystack' : 'bezier', 'label': big ? '' : 'data(label)',
            'font-size': 8, 'color': '#7a8594' } },
          { selector: 'edge.new', style: { 'line-color': '#e53935', 'target-arrow-color': '#e53935' } },
          { selector: ':selected', style: { 'overlay-opacity': 0.15 } }
        ],
        // A tree read left to right (breadthfirst lays ranks out top-down; swapping the axes
        // puts each rank in a column, so the labels of siblings do not overlap).
        layout: { name: 'breadthfirst', directed: true, roots: roots.length ? roots : undefined,
          spacingFactor: big ? 0.6 : 1.0, animate: false,
          transform: function (node, pos) { return { x: pos.y * 3, y: pos.x / 3 }; } }
      });
      cy.on('tap', 'node', function (evt) { showDetail(byId[evt.target.id()]); });
      var text = g.nodes.length + ' nodes, ' + g.edges.length + ' edges from ' + g.events + ' events';
      if (g.clustered) { text += ' · clustered (calls per service / processes per program)'; }
      if (g.truncated_nodes > 0) { text += ' · ' + g.truncated_nodes + ' nodes left out'; }
      if (g.baseline) { text += ' · red = new compared with ' + g.baseline.events + ' baseline events since ' + g.baseline.from; }
      say(text);
      box.setAttribute('data-ready', 'true');
      box.setAttribute('data-nodes', String(g.nodes.length));
      window.vigilGraph = cy;
    })
    .catch(function (err) {
      say('could not draw the graph: ' + err.message);
      box.setAttribute('data-ready', 'error');
    });
}());
