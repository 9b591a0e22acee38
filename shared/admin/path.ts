/**
 * Which requests belong to the admin plane: `/admin`, `/admin/` and everything
 * below. Its own module so the router can tell without loading the admin plane
 * (shared/admin/handler.ts), which it loads at the first such request.
 */
const ADMIN_PATH = /^\/admin(?:\/.*)?$/;

export const isAdminPath = (path: string) => ADMIN_PATH.test(path);
