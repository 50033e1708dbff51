// The console's one script: follows a running (or queued) job's progress over server-sent events.
// New log lines are appended, step rows updated in place (text only, never markup); when the job
// starts, ends or goes back to its queue, the page reloads to show what the server renders.
'use strict';
(function () {
  var job = document.getElementById('job');
  if (!job || job.dataset.live !== 'true') return;
  var log = document.getElementById('log');
  var steps = document.getElementById('steps');
  var source = new EventSource('/jobs/' + encodeURIComponent(job.dataset.job) + '/events?from=' + encodeURIComponent(job.dataset.lines || '0'));
  source.addEventListener('line', function (e) {
    var line = JSON.parse(e.data);
    var li = document.createElement('li');
    li.className = line.progress ? 'progress' : 'text';
    li.textContent = line.text;
    log.appendChild(li);
    job.dataset.lines = String(line.n + 1);
    var pending = document.getElementById('deployment-pending');
    if (line.deployment && pending) {
      // The run announced its deployment id: link it, as the page does once the server knows it.
      var link = document.createElement('a');
      link.href = '/stacks/' + encodeURIComponent(job.dataset.stack) + '/deployments/' + encodeURIComponent(line.deployment);
      link.dataset.test = 'deployment-link';
      link.textContent = line.deployment;
      pending.replaceWith(document.createTextNode('deployment '), link);
    }
    if (line.step && steps) {
      var row = steps.querySelector('li[data-step="' + CSS.escape(line.step.name) + '"]');
      if (!row) {
        row = document.createElement('li');
        row.dataset.step = line.step.name;
        steps.appendChild(row);
      }
      row.dataset.status = line.step.status;
      row.textContent = line.text;
    }
  });
  function reload() {
    source.close();
    window.location.reload();
  }
  source.addEventListener('state', reload);
  source.addEventListener('end', reload);
})();
