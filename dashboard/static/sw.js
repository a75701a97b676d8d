// Signalcord service worker: everything comes from the server first (pages carry live money data, and a new
// release's CSS and JS must reach the browser at once); the cache only answers when the server cannot be reached,
// with the offline page for a page.
const CACHE = "signalcord-v2";
const SHELL = ["/static/offline.html", "/static/app.css", "/static/app.js", "/static/icon-192.png"];
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/static/offline.html")));
  } else if (new URL(request.url).pathname.startsWith("/static/")) {
    event.respondWith(fetch(request).then((answer) => {
      const copy = answer.clone();
      if (answer.ok) caches.open(CACHE).then((cache) => cache.put(request, copy));
      return answer;
    }).catch(() => caches.match(request)));
  }
});
