/* The service worker of the installed app (app/core/pwa.py; issue 22). It keeps the static
   shell only: styles, scripts, fonts, icons and the offline page. Pages, documents, files and
   API answers are never stored: a navigation always goes to the server, and only when the
   server cannot be reached does it get the offline page. */
"use strict";
var VERSION = "{{ version }}";
var CACHE = "eoffice-shell-" + VERSION;
var SHELL = {{ shell }};
var OFFLINE = {{ offline }};
var STATIC_PREFIXES = {{ prefixes }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (url) {
      return new Request(url, { cache: "reload", credentials: "omit" });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("eoffice-shell-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// A static file addressed with its content's version (app/core/static_cache.py): "?v=…".
var VERSIONED = /^\?v=[0-9a-f]+$/;

function isShell(url) {
  if (url.origin !== self.location.origin) { return false; }
  if (url.search && !VERSIONED.test(url.search)) { return false; }
  if (url.pathname === OFFLINE) { return !url.search; }
  return STATIC_PREFIXES.some(function (prefix) { return url.pathname.indexOf(prefix) === 0; });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (request.mode === "navigate") {
    // The server first, always; the offline page only when it cannot be reached.
    event.respondWith(fetch(request).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(OFFLINE); });
    }));
    return;
  }
  if (!isShell(url)) { return; }  // data, files, API: the network only, never stored
  // The shell: from the cache at once. A file without its version is refreshed in the
  // background; a versioned one never changes (a new version is a new address).
  var versioned = VERSIONED.test(url.search);
  event.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(request, { ignoreVary: true }).then(function (cached) {
      if (cached && versioned) { return cached; }
      var fresh = fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") { cache.put(request, response.clone()); }
        return response;
      });
      if (cached) {
        fresh.catch(function () { return null; });
        return cached;
      }
      return fresh;
    });
  }));
});
