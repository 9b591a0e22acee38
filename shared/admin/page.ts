/**
 * The ops dashboard served at GET /admin/ (shared/admin/handler.ts).
 *
 * PLACEHOLDER, to be replaced by the generated module of the dashboard
 * (engineer C, branch issue-14ui): keep the export name `DASHBOARD_HTML`.
 *
 * The handler sends it with a strict Content-Security-Policy
 * (handler.ts `dashboardCsp`): `default-src 'self'`, no inline code except the
 * `<script>` and `<style>` elements of this very page, which it allows by
 * their SHA-256 hashes, computed from this string when the module loads. So:
 * inline `<script>`/`<style>` elements are fine (any number), but no inline
 * event handlers (`onclick=`), no `style="..."` attributes, no `javascript:`
 * URLs, nothing fetched from another origin (connect-src 'self'; images
 * 'self' and data:). API calls go to `/admin/...` on the same origin with
 * `Authorization: Bearer <key>`; the page itself loads without a key.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RoomService admin</title>
</head>
<body>
<main>
<h1>RoomService admin</h1>
<p>The dashboard is loading. The admin API is at <code>/admin/rooms</code> (README "Admin API").</p>
</main>
</body>
</html>
`;
