/// The dashboard's page, stylesheet and script as string literals, so `offload-api`
/// serves them from memory with no files next to the binary, no CDN and no web fonts.
/// Plain JavaScript, no build step: edit these files and rebuild.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Offload</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%234f46e5'/%3E%3Cpath d='M9 20l7-10 7 10' fill='none' stroke='white' stroke-width='3' stroke-linecap='round' stroke-linejoin='round'/%3E%3Cpath d='M11 24h10' stroke='white' stroke-width='3' stroke-linecap='round'/%3E%3C/svg%3E">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body>
<header class="topbar">
  <div class="topbar-inner">
    <a class="brand" href="#/" aria-label="Offload overview">
      <svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="7"/><path d="M9 20l7-10 7 10" /><path d="M11 24h10"/></svg>
      <span>Offload</span>
    </a>
    <nav class="nav" aria-label="Sections">
      <a href="#/" data-nav="overview">Overview</a>
      <a href="#/jobs" data-nav="jobs">Jobs</a>
      <a href="#/workers" data-nav="workers">Workers</a>
    </nav>
    <div class="live">
      <button type="button" id="live-toggle" class="live-toggle" title="Pause or resume live updates">
        <span class="dot" id="live-dot"></span><span id="live-status">Connecting…</span>
      </button>
      <button type="button" id="sign-out" class="btn btn-ghost btn-sm" hidden>Sign out</button>
    </div>
  </div>
</header>
<main id="view" class="container" aria-live="polite"></main>
<div id="toasts" class="toasts" role="status"></div>
<div id="modal-root"></div>
<noscript><p class="container">The Offload dashboard needs JavaScript.</p></noscript>
</body>
</html>
"""#
}
