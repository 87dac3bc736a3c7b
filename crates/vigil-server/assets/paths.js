// Attack paths: draws each `.path-graph` from the JSON in its data-path attribute with
// cytoscape, left to right in path order. Labels go to cytoscape's canvas or textContent,
// never into HTML.
(function () {
  'use strict';
  if (typeof cytoscape !== 'function') { return; }
  var COLORS = {
    internet: '#c0392b', instance: '#2c3e50', container: '#34495e', image: '#7f8c8d',
    load_balancer: '#1f5fbf', access_key: '#d35400', secret: '#d35400', user: '#6c5ce7',
    role: '#8e44ad', instance_profile: '#8e44ad', data_store: '#16a085', admin: '#8b0000',
    vulnerability: '#e67e22', security_group: '#95a5a6', alert: '#e53935'
  };
  var STEP = 190;
  window.vigilPaths = {};

  function shortLabel(n) {
    var text = n.label && n.label !== n.id ? n.label : n.id;
    if (n.type === 'user' || n.type === 'role') { text = text.replace(/^arn:[^/]*\//, ''); }
    return n.type.replace(/_/g, ' ') + '\n' + text;
  }

  Array.prototype.forEach.call(document.querySelectorAll('.path-graph'), function (box) {
    var p;
    try {
      p = JSON.parse(box.getAttribute('data-path'));
    } catch (e) {
      box.textContent = 'could not read the path: ' + e.message;
      box.setAttribute('data-ready', 'error');
      return;
    }
    var elements = p.nodes.map(function (n, i) {
      return {
        group: 'nodes',
        data: { id: 'n' + i, label: shortLabel(n), kind: n.type, full: n.type + ': ' + n.id, color: COLORS[n.type] || '#555' },
        position: { x: i * STEP, y: 0 }
      };
    });
    p.edges.forEach(function (e, i) {
      elements.push({ group: 'edges', data: { id: 'e' + i, source: 'n' + e.from, target: 'n' + e.to, label: String(e.type).replace(/_/g, ' ') } });
    });
    var cy = cytoscape({
      container: box,
      elements: elements,
      layout: { name: 'preset', fit: true, padding: 30 },
      maxZoom: 1,
      userZoomingEnabled: false,
      userPanningEnabled: false,
      autoungrabify: true,
      style: [
        { selector: 'node', style: { 'background-color': 'data(color)', 'label': 'data(label)', 'font-size': 11,
          'text-valign': 'bottom', 'text-halign': 'center', 'text-margin-y': 6, 'text-wrap': 'wrap',
          'text-max-width': STEP - 20, 'width': 22, 'height': 22 } },
        { selector: 'edge', style: { 'width': 2, 'line-color': '#c0392b', 'target-arrow-color': '#c0392b',
          'target-arrow-shape': 'triangle', 'curve-style': 'straight', 'label': 'data(label)', 'font-size': 9,
          'color': '#5b6675', 'text-margin-y': -8 } }
      ]
    });
    var detail = document.createElement('div');
    detail.className = 'graph-detail';
    box.parentNode.insertBefore(detail, box.nextSibling);
    cy.on('tap', 'node', function (evt) { detail.textContent = evt.target.data('full'); });
    box.setAttribute('data-ready', 'true');
    box.setAttribute('data-nodes', String(p.nodes.length));
    window.vigilPaths[box.id] = cy;
  });
}());
